/**
 * The console's revenue overview on the benchmark book, in a real browser: how long after navigating to
 * /admin an admin sees every figure, the revenue by plan and both charts (MRR over time and the MRR
 * movements) drawn, with the API's revenue cache cold.
 *
 * The book is bench/revenue.ts's (100,000 customers, one subscription each, a year of invoices): that
 * benchmark is run as it is, in a process of its own, and once it says its book is seeded it is paused
 * while the database is copied (VACUUM INTO), then left to finish. BENCH_BOOK=<file> keeps the copy
 * there and reuses it on later runs instead of seeding again.
 *
 * The API runs as production runs it (bench/api-process.ts) and serves the built web app (tools/web.js);
 * Chromium is Debian's (tools/chromium.js). Each run opens a new browser context, signs in with the
 * development sign-in (not timed), waits until the API's revenue cache has expired, then navigates to
 * /admin and polls every animation frame until everything is on screen; the time is the page's own
 * clock from the start of that navigation.
 *
 *   npm run bench:console                       # 100,000 customers, 5 runs
 *   BENCH_CUSTOMERS=20000 BENCH_RUNS=3 npm run bench:console
 *   BENCH_BOOK=/var/tmp/console-book.sqlite npm run bench:console
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { chromium, type Browser } from 'playwright-core';
import { openSqliteConnection } from '../db/sqlite-connection';
import { REVENUE_CACHE_MS } from '../services/revenue/cache';
import { startApiProcess, type ApiProcess } from './api-process';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { ensureWebBuild } = require('../tools/web') as {
  ensureWebBuild: (opts?: { log?: (line: string) => void }) => string;
};
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { ensureChromium } = require('../tools/chromium') as { ensureChromium: () => string };

const ROOT = join(__dirname, '..');
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const TARGET_MS = 1000;

/** The charts the overview draws, by their accessible names, and what else must be on screen. */
const CHARTS = ['MRR at the end of each period', 'MRR movements per period'];
const FIGURES = 8;

/**
 * Runs bench/revenue.ts with its temporary folder under one of ours; when it prints the size of the book
 * it has seeded, stops it (SIGSTOP), copies its database to `dest`, and lets it go on to its end.
 */
async function seedWithRevenueBench(dest: string): Promise<void> {
  const scratch = mkdtempSync(join(tmpdir(), 'bench-console-seed-'));
  try {
    const child = spawn(process.execPath, ['--import', 'tsx', 'bench/revenue.ts'], {
      cwd: ROOT,
      env: { ...process.env, TMPDIR: scratch, BENCH_CALLS: '1' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
    let copied = false;
    let pending = '';
    const seeded = new Promise<void>((done, fail) => {
      child.stdout!.on('data', (chunk: Buffer) => {
        pending += chunk.toString();
        const lines = pending.split('\n');
        pending = lines.pop() ?? '';
        for (const line of lines) {
          process.stdout.write(`  [bench:revenue] ${line}\n`);
          // "  100,000 subscriptions, … subscription changes, … invoices in … s": seeded and analysed.
          if (!copied && /subscription changes, .* invoices in /.test(line)) {
            copied = true;
            child.kill('SIGSTOP');
            try {
              const dir = readdirSync(scratch).find((d) => d.startsWith('bench-revenue-'));
              if (!dir) throw new Error(`bench/revenue.ts left no book under ${scratch}`);
              const source = openSqliteConnection(join(scratch, dir, 'billing.sqlite'));
              try {
                source.exec(`vacuum into '${dest.replaceAll("'", "''")}'`);
              } finally {
                source.close();
              }
              done();
            } catch (err) {
              fail(err as Error);
            } finally {
              child.kill('SIGCONT');
            }
          }
        }
      });
      void exited.then((code) => {
        if (!copied) fail(new Error(`bench/revenue.ts exited (${code}) before its book was seeded`));
      });
    });
    await seeded;
    // Its own measurements follow (one call each); its end removes its folder and stops its API.
    console.log('Book copied; letting bench/revenue.ts finish before measuring …');
    await exited;
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

interface PageDocument {
  querySelectorAll(selector: string): { length: number };
  querySelector(selector: string): { querySelector(selector: string): unknown } | null;
}

/**
 * In the page (a function, not a string: the page's policy forbids eval): the time since navigation
 * started once everything is drawn, else false.
 */
const drawn = ([charts, figures]: [string[], number]) => {
  const page = globalThis as unknown as { document: PageDocument; performance: { now(): number } };
  const doc = page.document;
  const shown = doc.querySelectorAll('[data-testid^="figure-"]').length;
  const drawnCharts = charts.every((name) => {
    const box = doc.querySelector(`[role="img"][aria-label="${name}"]`);
    return box !== null && box.querySelector('canvas') !== null;
  });
  const tiers = doc.querySelector('[role="region"][aria-label="Revenue by plan"] tbody tr');
  return shown >= figures && drawnCharts && tiers !== null ? page.performance.now() : false;
};

/** What each of the page's API requests took, from the page's resource timings. */
const REQUESTS = `performance.getEntriesByType('resource')
  .filter((e) => e.name.includes('/api/v1/admin/'))
  .map((e) => [new URL(e.name).pathname.replace('/api/v1', ''), Math.round(e.duration)])`;

async function oneRun(browser: Browser, base: string, run: number) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  try {
    const page = await context.newPage();
    page.setDefaultTimeout(60_000);
    await page.goto(`${base}/signin?next=${encodeURIComponent('/billing')}`);
    await page.getByLabel('Email').fill('bench-operator@example.com');
    await page.getByLabel('Role').selectOption('admin');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { level: 1, name: 'Billing' }).waitFor();
    // Cold: whatever an earlier run or the sign-in left in the API's revenue cache has expired.
    await new Promise((r) => setTimeout(r, REVENUE_CACHE_MS + 500));
    await page.goto(`${base}/admin`, { waitUntil: 'commit' });
    const handle = await page.waitForFunction(drawn, [CHARTS, FIGURES] as [string[], number], {
      polling: 'raf',
      timeout: 60_000,
    });
    const ms = (await handle.jsonValue()) as number;
    const requests = await page.evaluate<[string, number][]>(REQUESTS);
    if (run === 0 && process.env.BENCH_SCREENSHOT) {
      await page.screenshot({ path: resolve(process.env.BENCH_SCREENSHOT), fullPage: true });
    }
    return { ms, requests };
  } finally {
    await context.close();
  }
}

async function main() {
  ensureWebBuild({ log: console.log });
  const chromiumPath = ensureChromium();
  const keep = process.env.BENCH_BOOK ? resolve(process.env.BENCH_BOOK) : null;
  const dir = mkdtempSync(join(tmpdir(), 'bench-console-'));
  const book = keep ?? join(dir, 'billing.sqlite');
  let api: ApiProcess | null = null;
  let browser: Browser | null = null;
  try {
    if (keep && existsSync(keep)) {
      console.log(`Reusing the book in ${keep}`);
    } else {
      console.log('Seeding the book with bench/revenue.ts …');
      const t0 = performance.now();
      await seedWithRevenueBench(book);
      console.log(`  book ready in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
    }
    // The development sign-in: no identity provider, the API's own local key.
    api = await startApiProcess({ databaseUrl: `sqlite:${book}`, oidc: { issuer: '', jwksUrl: '' } });
    browser = await chromium.launch({
      executablePath: chromiumPath,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
    });
    const base = `http://127.0.0.1:${api.port}`;
    console.log(
      `\n/admin until every figure, revenue by plan and both charts are drawn, cold API cache, ${RUNS} runs ` +
        `(each waits ${Math.round(REVENUE_CACHE_MS / 1000)} s for the cache to expire):`,
    );
    const times: number[] = [];
    for (let run = 0; run < RUNS; run++) {
      const { ms, requests } = await oneRun(browser, base, run);
      times.push(ms);
      const slowest = [...requests].sort((a, b) => b[1] - a[1]);
      console.log(
        `  run ${run + 1}: ${ms.toFixed(0)} ms   (${slowest.map(([path, d]) => `${path} ${d} ms`).join(', ')})`,
      );
    }
    const sorted = [...times].sort((a, b) => a - b);
    const median =
      sorted.length % 2 === 1
        ? sorted[(sorted.length - 1) / 2]!
        : (sorted[sorted.length / 2 - 1]! + sorted[sorted.length / 2]!) / 2;
    const max = sorted[sorted.length - 1]!;
    console.log(
      `\n  min ${sorted[0]!.toFixed(0)} ms   median ${median.toFixed(0)} ms   max ${max.toFixed(0)} ms   ` +
        `(${max < TARGET_MS ? 'within' : 'OVER'} the ${TARGET_MS} ms target)`,
    );
  } finally {
    await browser?.close();
    await api?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: Error) => {
  console.error(err.stack?.slice(0, 2000) ?? err.message);
  process.exitCode = 1;
});

import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { webAppBuilt } from '../../api/pages/web-app';
import { startTestApi, type TestApi } from '../helpers/api';
import { openTestDatabase } from '../helpers/db';

/** Debian's Chromium, installed by tools/chromium.js from `npm test`; no browser is downloaded. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Where the browser tests leave their screenshots (the docs' come from here, copied to docs/screenshots/). */
export const SCREENSHOT_DIR = join(__dirname, '..', '..', 'var', 'screenshots');

/**
 * Headless Chromium with nothing of its own on the network: no background fetches, updates or sync,
 * which a machine without outside access would refuse over and over. Playwright gives each launch a
 * new, empty profile folder of its own.
 */
export async function launchChromium(): Promise<{ browser: Browser; close(): Promise<void> }> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(
      `No Chromium at ${CHROMIUM_PATH}: run npm test (tools/chromium.js installs it) or set CHROMIUM_PATH`,
    );
  }
  const browser = await chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  return {
    browser,
    close: () => browser.close(),
  };
}

const AXE_SOURCE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[] }[];
}

/**
 * axe-core's WCAG 2.1 A/AA and best-practice rules on the page as it stands; the serious and critical
 * findings, each with where it is. Evaluated through the debugging protocol, so the page's policy, which
 * forbids injected scripts, stays on.
 */
export async function seriousA11yViolations(page: Page): Promise<string[]> {
  await page.evaluate(AXE_SOURCE);
  // A string, evaluated in the page: this suite is type-checked without the DOM's types.
  const violations = await page.evaluate<AxeViolation[]>(
    `axe.run({ runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] }).then((r) => r.violations)`,
  );
  return violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}

export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const path = join(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

/**
 * A new browser context (1280 × 900, en-US, UTC, so dates show as the tests expect) signed in through the
 * development sign-in as `email` with `role`, on `next`.
 */
export async function signInAs(
  browser: Browser,
  apiUrl: string,
  who: { email: string; role: 'admin' | 'viewer'; next: string; locale?: string },
): Promise<Page> {
  const context = await browser.newContext({
    viewport: { width: 1280, height: 900 },
    // The browser's language is also its Accept-Language, which picks the currency prices are shown in.
    locale: who.locale ?? 'en-US',
    timezoneId: 'UTC',
  });
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  await page.goto(`${apiUrl}/signin?next=${encodeURIComponent(who.next)}`);
  await page.getByLabel('Email').fill(who.email);
  await page.getByLabel('Role').selectOption(who.role);
  await page.getByRole('button', { name: 'Sign in' }).click();
  return page;
}

/**
 * The API serving the built web app with the development sign-in, on a fresh SQLite database, and
 * Chromium: what the browser tests of one page start from.
 */
export async function openWebApp(): Promise<{
  db: Awaited<ReturnType<typeof openTestDatabase>>;
  api: TestApi;
  browser: Browser;
  close(): Promise<void>;
}> {
  if (!webAppBuilt())
    throw new Error('web/dist is missing: `node tools/web.js` builds it (npm test runs it)');
  const [db, chromium] = await Promise.all([openTestDatabase('sqlite'), launchChromium()]);
  const api = await startTestApi({
    orm: db.orm,
    env: { OIDC_ISSUER: '', OIDC_JWKS_URL: '', DEV_SIGN_IN: 'true' },
  });
  return {
    db,
    api,
    browser: chromium.browser,
    async close() {
      await chromium.close();
      await api.stop();
      await db.close();
    },
  };
}

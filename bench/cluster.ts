/**
 * `npm run bench:cluster`: what a second API process buys on the production topology (tools/cluster).
 * Single-event usage reports and Stripe webhook intake, each sent through the balancer to both APIs and
 * straight to one of them, in alternating rounds of the same run, so the ratio holds whatever the machine.
 * Closed loop (32 in flight), keep-alive, loopback only, bounded in time. Prints min / median / max of
 * each figure over the rounds, and the ratio of the medians.
 */
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import type Stripe from 'stripe';
import { createStripeClient } from '../integrations/stripe/client';
import { startCluster } from '../tools/cluster/cluster';
import { Client } from '../tools/chaos/client';
import { CustomerActions, type ChaosCustomer } from '../tools/chaos/customers';
import { closedLoop, figures, spread, type Target } from './load';
import { REPORT_PATH } from './engine';

const CUSTOMERS = 10;
const ROUNDS = 3;
const SECONDS = 8;
const CONCURRENCY = 32;

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-cluster-'));
  // PostgreSQL runs as its own user when this runs as root, and must reach its data folder.
  chmodSync(dir, 0o755);
  const cluster = await startCluster({
    dir,
    ports: 'free',
    compiled: true,
    log: (l) => console.error(`[cluster] ${l}`),
  });
  try {
    const api = new Client(cluster.urls.api);
    const actions = new CustomerActions(api, new Client(cluster.urls.stripe));
    const emails: string[] = [];
    for (let i = 0; i < CUSTOMERS; i++) {
      const email = `bench${i}@example.com`;
      const c: ChaosCustomer = {
        index: i,
        persona: 'steady',
        email,
        token: await cluster.token({ email }),
        // No daily cap: the figures are the engine's, not a plan's limit.
        tier: 'enterprise',
        surprises: [],
        renews: false,
        secondTrial: false,
      };
      await actions.signUp(c);
      if (c.surprises.length) throw new Error(`${email}: ${c.surprises.join('; ')}`);
      emails.push(email);
    }
    const gateway = await cluster.token({ email: 'gateway@example.com', role: 'billing-gateway' });
    const stripe = createStripeClient({ apiBase: cluster.urls.stripe }) as Stripe;
    const subs = (await stripe.subscriptions.list({ limit: 100 })).data;

    const port = (url: string) => Number(new URL(url).port);
    const where = { 'two APIs behind nginx': port(cluster.urls.api), 'one API': port(cluster.urls.apis[0]!) };
    let round = 0;
    const usage = (p: number): Target => {
      const tag = `r${++round}`;
      return {
        port: p,
        method: 'POST',
        path: () => REPORT_PATH,
        headers: { authorization: `Bearer ${gateway}`, 'content-type': 'application/json' },
        body: (i) =>
          JSON.stringify({
            id: `${tag}-${i}`,
            type: 'inference',
            quantity: 1,
            customer_email: emails[i % emails.length],
          }),
      };
    };
    let seq = 0;
    const webhooks = (p: number): Target => ({
      port: p,
      method: 'POST',
      path: () => '/api/v1/billing/webhooks/stripe',
      headers: () => ({}),
      body: (i) =>
        JSON.stringify({
          id: `evt_bench_${++seq}`,
          object: 'event',
          type: 'customer.subscription.updated',
          created: Math.floor(Date.now() / 1000),
          data: { object: subs[i % subs.length] },
        }),
    });
    // Each webhook is signed as Stripe signs it: the header depends on the body, so the target signs it.
    const signed = (t: Target): Target => {
      const bodies = new Map<number, string>();
      return {
        ...t,
        body: (i) => {
          const b = t.body!(i)!;
          bodies.set(i, b);
          return b;
        },
        headers: (i) => {
          const payload = bodies.get(i) ?? '';
          bodies.delete(i);
          return {
            'content-type': 'application/json',
            'stripe-signature': stripe.webhooks.generateTestHeaderString({
              payload,
              secret: cluster.webhookSecret,
            }),
          };
        },
      };
    };
    const results: Record<string, Record<string, { rate: number; p50: number; p99: number }[]>> = {};
    for (const [what, make] of [
      ['single-event usage reports', usage],
      ['Stripe webhooks', (p: number) => signed(webhooks(p))],
    ] as const) {
      // Warm-up on both, not counted.
      for (const p of Object.values(where))
        await closedLoop(make(p), { concurrency: CONCURRENCY, seconds: 3 });
      for (let r = 0; r < ROUNDS; r++) {
        for (const [name, p] of Object.entries(where)) {
          const run = await closedLoop(make(p), { concurrency: CONCURRENCY, seconds: SECONDS });
          if (run.failures)
            console.error(`${what}, ${name}: ${run.failures} failures, e.g. ${run.failureSamples[0]}`);
          ((results[what] ??= {})[name] ??= []).push(figures(run));
        }
      }
    }
    console.log(
      `\nbench:cluster — ${new Date().toISOString().slice(0, 10)}, ${cpus().length} cores, load ${loadavg()[0]!.toFixed(1)}`,
    );
    console.log(
      `closed loop, ${CONCURRENCY} in flight, ${ROUNDS} rounds of ${SECONDS} s each, min / median / max\n`,
    );
    for (const [what, byTarget] of Object.entries(results)) {
      const medians: number[] = [];
      for (const [name, runs] of Object.entries(byTarget)) {
        const rates = runs.map((r) => r.rate);
        medians.push([...rates].sort((a, b) => a - b)[Math.floor(rates.length / 2)]!);
        console.log(
          `${what.padEnd(28)} ${name.padEnd(22)} ${spread(rates).padStart(22)} /s   p50 ${spread(
            runs.map((r) => r.p50),
            1,
          )} ms   p99 ${spread(
            runs.map((r) => r.p99),
            1,
          )} ms`,
        );
      }
      console.log(`${''.padEnd(28)} two APIs ÷ one: ${(medians[0]! / medians[1]!).toFixed(2)}\n`);
    }
  } finally {
    await cluster.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error((err as Error).stack ?? String(err));
  process.exit(1);
});

/**
 * A month of a billing business on the production topology (tools/cluster), with things breaking while it
 * runs. Customers sign up (some with a declined card first, some with a 3-D Secure card, some on the
 * trial), change plans, use the product through the gateway's concurrent reporters, renew on their Stripe
 * test clocks (some renewals fail and go through dunning), cancel and resume, pause and unpause, leave.
 * Stripe's webhooks arrive twice and out of order throughout. Meanwhile workers and APIs are SIGKILLed at
 * chosen moments, Temporal and PostgreSQL restart, and Stripe answers 500, 429 and slowly. At the end the
 * invariants (./invariants.ts) are checked and every breach is reported.
 *
 * Only Stripe's clocks move: the engine's own timers (dunning retry days, the trial's end) run in real
 * time, so dunning recovers here through a new card (the engine retries at once), and trials stay trials.
 */
import { Client as TemporalClient, Connection } from '@temporalio/client';
import type Stripe from 'stripe';
import { num, sqlFor } from '../../db/raw-sql';
import { openDatabase } from '../../db/orm';
import { createStripeClient } from '../../integrations/stripe/client';
import { advanceCustomerClock } from '../stripe-advance';
import { startCluster } from '../cluster/cluster';
import { TOPOLOGY, WORKER_DEPLOYMENT_DEFAULTS } from '../cluster/topology';
import { startLagoFake } from '../lago-fake';
import { Client, sleep, until } from './client';
import { CustomerActions, PERSONAS, planFor, type ChaosCustomer } from './customers';
import { Faults, type FaultRecord } from './faults';
import { checkAll, creditsBalanced, keycloakInStep, webhooksApplied, type Invariant } from './invariants';
import { Random } from './random';
import { dunningTrace } from './trace';
import { askAccess, newLedger, report, usageBatches } from './usage';

export interface ChaosOptions {
  dir: string;
  customers: number;
  eventsPerCustomer: number;
  seed: number;
  /** Off: the same month without faults (to tell a fault's harm from the scenario's own). */
  faults: boolean;
  reporters?: number;
  workflowBundle?: string;
  /**
   * The workers' sticky-queue timeout, where not the cluster's (300 s): how long a run's task queued to a
   * worker killed meanwhile waits before another worker takes it, so how long a customer may wait then.
   */
  stickyQueueTimeoutSeconds?: number;
  log?: (line: string) => void;
}

export interface ChaosReport {
  seed: number;
  customers: number;
  personas: Record<string, number>;
  usage: { requests: number; events: number; acknowledged: number; rejected: Record<string, number> };
  renewals: number;
  faults: FaultRecord[];
  /** Restarts of each supervised process (kills and crashes). */
  restarts: Record<string, number>;
  /** Calls a client had to send again (no answer, 502/503/504). */
  retriedCalls: number;
  surprises: string[];
  /** How long each dunning customer took to be seen active after adding a working card. */
  dunningRecoveries: { email: string; seconds: number | null }[];
  invariants: Invariant[];
  durationMs: number;
  ok: boolean;
}

/** Runs `fn` over `items`, `width` at a time, in order of start. */
async function inParallel<T>(items: T[], width: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(width, items.length) }, async () => {
      while (next < items.length) await fn(items[next++]!);
    }),
  );
}

export async function runChaos(opts: ChaosOptions): Promise<ChaosReport> {
  const started = Date.now();
  const log = (line: string) =>
    opts.log?.(`${((Date.now() - started) / 1000).toFixed(0).padStart(4)} s ${line}`);
  const random = new Random(opts.seed);
  // Lago, in this process: the engine reports to it over HTTP, the invariants read it directly.
  const lago = await startLagoFake({ port: 0 });
  log(`starting the cluster in ${opts.dir}`);
  const cluster = await startCluster({
    dir: opts.dir,
    ports: 'free',
    workflowBundle: opts.workflowBundle,
    // Roll up every 2 s, windows of 4 s: the month's usage is billed within seconds of being reported.
    usageRollup: { intervalSeconds: 2, windowSeconds: 4 },
    engineEnv: {
      LAGO_API_URL: lago.url,
      LAGO_API_KEY: lago.apiKey,
      ...(opts.stickyQueueTimeoutSeconds
        ? { WORKER_STICKY_QUEUE_TIMEOUT_SECONDS: String(opts.stickyQueueTimeoutSeconds) }
        : {}),
    },
    log: (line) => log(`cluster: ${line}`),
  }).catch(async (err: unknown) => {
    await lago.stop();
    throw err;
  });
  // The harness's own certificate: the cluster's Temporal takes no client without one.
  const connection = await Connection.connect(cluster.temporalConnection);
  const temporalClient = new TemporalClient({ connection, namespace: cluster.namespace });
  const orm = await openDatabase(cluster.urls.databaseUrl, { migrate: false });
  try {
    const api = new Client(cluster.urls.api);
    const emulator = new Client(cluster.urls.stripe);
    const stripe = createStripeClient({ apiBase: cluster.urls.stripe }) as Stripe;
    const actions = new CustomerActions(api, emulator);
    const faults = new Faults(cluster, temporalClient, (line) => log(`fault: ${line}`));
    const strike = (fn: () => Promise<unknown>) => (opts.faults ? fn() : Promise.resolve());
    // Stripe delivers every event twice, and a burst newest first.
    await emulator.retrying('POST', '/_emulator/webhooks', { body: { duplicate: true, outOfOrder: true } });

    const customers: ChaosCustomer[] = [];
    for (let index = 0; index < opts.customers; index++) {
      const persona = PERSONAS[index % PERSONAS.length]!;
      const email = `chaos${opts.seed}-${index}@example.com`;
      customers.push({
        index,
        persona,
        email,
        token: await cluster.token({ email }),
        tier: planFor(persona),
        surprises: [],
        renews: persona !== 'trial',
        secondTrial: persona === 'trial' && customers.some((c) => c.persona === 'trial'),
      });
    }
    const gateway = await cluster.token({ email: 'gateway@example.com', role: 'billing-gateway' });
    // The pack the prepaid persona buys, put on sale by an admin as the month begins.
    const pack = customers.some((c) => c.persona === 'prepaid')
      ? await creditPack(api, await cluster.token({ email: 'admin@example.com', role: 'admin' }), opts.seed)
      : null;

    // Sign-ups, with Stripe failing and slow for a while and Temporal restarted among them.
    log(`signing up ${customers.length} customers`);
    await strike(() => faults.stripeFault('error500', 8));
    await strike(() => faults.stripeFault('rateLimit', 8));
    await strike(() => faults.stripeFault('latency', 8));
    let signedUp = 0;
    const temporalRestart = new Promise<void>((resolve, reject) => {
      const check = setInterval(() => {
        if (signedUp >= customers.length / 3) {
          clearInterval(check);
          strike(() => faults.restartTemporal()).then(() => resolve(), reject);
        }
      }, 100);
    });
    await inParallel(customers, 4, async (c) => {
      await actions.signUp(c).catch((err: Error) => void c.surprises.push(err.message));
      signedUp++;
    });
    await temporalRestart;

    log('plan changes, credit purchases and spend caps');
    await inParallel(customers, 4, async (c) => {
      if (c.surprises.length || c.secondTrial) return;
      await actions.change(c).catch((err: Error) => void c.surprises.push(err.message));
      await actions.prepare(c, pack).catch((err: Error) => void c.surprises.push(err.message));
    });
    // The other API learns of a new cap within its 2 s memo (docs/credits.md, the overspend bound): usage
    // starts once both know, so nothing past a cap of nothing may be stored.
    if (customers.some((c) => c.persona === 'capped')) await sleep(2500);

    // Usage from four reporters at once, and the gateway's checks before its calls beside them; an API
    // killed mid-ingestion, the access lane mid-checks, PostgreSQL crashed, a worker killed while it
    // rolls up.
    const usage = newLedger();
    const using = customers.filter((c) => c.surprises.length === 0 && !c.secondTrial);
    const batches = usageBatches(
      using.map((c) => c.email),
      opts.eventsPerCustomer,
      random,
    );
    log(`reporting ${batches.flat().length} usage events in ${batches.length} requests`);
    const pending: Promise<unknown>[] = [];
    let killedApi = false;
    let killedLane = false;
    let crashedDb = false;
    let reported = false;
    // Its own random source: the checks' timing must not change the run's other choices.
    const checking = askAccess(
      api,
      gateway,
      using.map((c) => c.email),
      new Random(opts.seed + 1),
      () => reported,
    );
    // Awaited below; marked handled so a failed report leaves no rejection unhandled meanwhile.
    checking.catch(() => undefined);
    await report(api, gateway, batches, usage, {
      reporters: opts.reporters ?? 4,
      onProgress: (answered, total) => {
        if (!killedApi && answered >= total * 0.3) {
          killedApi = true;
          pending.push(strike(() => faults.killApi('api-1', 'mid-ingestion')));
        }
        if (!killedLane && answered >= total * 0.45) {
          killedLane = true;
          pending.push(strike(() => faults.killApi('api-access', 'mid-checks')));
        }
        if (!crashedDb && answered >= total * 0.6) {
          crashedDb = true;
          pending.push(strike(() => faults.restartPostgres()));
        }
      },
    }).finally(() => (reported = true));
    const checks = await checking;
    await strike(() => faults.killWorkerRunning('usage-rollup', 'mid-rollup'));
    await Promise.all(pending);
    const sql = () => sqlFor(orm.em.fork());
    await until(
      'every event rolled up and reported',
      async () => {
        const [events] = await sql().run<{ n: unknown }>(
          'select count(*) as n from usage_events where rollup_id is null',
        );
        const [rollups] = await sql().run<{ n: unknown }>(
          'select count(*) as n from usage_rollups where stripe_reported_at is null or lago_reported_at is null',
        );
        return num(events?.n) + num(rollups?.n);
      },
      (left) => left === 0,
      300_000,
      1000,
    );

    // Renewals: the dunning persona's card fails first; every clock moves a month at once, and an API is
    // killed in the webhook burst that follows.
    log('renewals');
    const renewing = customers.filter((c) => c.renews && c.surprises.length === 0 && !c.secondTrial);
    await inParallel(renewing, 4, (c) => actions.beforeRenewal(c));
    let advanced = 0;
    const burstKill = new Promise<void>((resolve, reject) => {
      const check = setInterval(() => {
        if (advanced >= Math.max(1, renewing.length / 4)) {
          clearInterval(check);
          strike(() => faults.killApi('api-2', 'mid-webhook-burst')).then(() => resolve(), reject);
        }
      }, 50);
    });
    await inParallel(renewing, 4, async (c) => {
      for (let attempt = 1; ; attempt++) {
        try {
          await advanceCustomerClock(stripe, { email: c.email, days: 32 });
          break;
        } catch (err) {
          // Stripe's own 500 or 429 (the injected faults) on the clock call: a person would press again.
          if (attempt >= 10) throw err;
          await sleep(500 * attempt);
        }
      }
      advanced++;
    });
    await burstKill;
    await inParallel(renewing, 4, async (c) => {
      await actions.afterRenewal(c).catch((err: Error) => void c.surprises.push(err.message));
    });

    // Dunning recovers through a card that works; the worker paying the invoice is killed meanwhile.
    log('dunning');
    const dunning = renewing.filter((c) => c.persona === 'dunning' && c.surprises.length === 0);
    const openInvoice = async (c: ChaosCustomer) => {
      const [row] = await sql().run<{ stripe_invoice_id: string }>(
        `select i.stripe_invoice_id from invoices i join customers c on c.id = i.customer_id
          where c.email = ? and i.status = 'open' order by i.created_at desc limit 1`,
        [c.email],
      );
      return row?.stripe_invoice_id;
    };
    // The renewal's failed invoice reaches the mirror through duplicated, reordered webhooks: on a loaded
    // machine it may not be there yet when the customer is already seen past due.
    const openInvoiceSoon = async (c: ChaosCustomer) => {
      for (const deadline = Date.now() + 120_000; ; await sleep(500)) {
        const id = await openInvoice(c);
        if (id || Date.now() > deadline) return id;
      }
    };
    const first = dunning[0];
    const invoice = first ? await openInvoiceSoon(first) : undefined;
    // Stripe slow to take that payment: the kill lands while the worker waits for it.
    let dunningKilled = false;
    const dunningKill = invoice
      ? strike(async () => {
          await faults.stripeFault('latency', 1, `/v1/invoices/${invoice}/pay`);
          // The retry waits on the card's Stripe event, which comes through duplicated, reordered webhooks
          // on a loaded machine: wait for it as long as the customers' own recovery may take.
          dunningKilled = await faults.killWorkerRunning(`dunning-${invoice}`, 'mid-dunning', 180_000);
        })
      : Promise.resolve();
    await inParallel(dunning, 4, (c) => actions.recover(c));
    const cardsAdded = Date.now();
    await dunningKill;
    // The worker killed held runs in its cache, the paying customer's subscription run among them at times.
    // A task for such a run in the 10 s before the server sees the worker gone (the payment's own events)
    // waits on the dead worker's sticky queue for the whole sticky timeout (docs/operations.md).
    const stickySeconds =
      opts.stickyQueueTimeoutSeconds ??
      process.env.WORKER_STICKY_QUEUE_TIMEOUT_SECONDS ??
      WORKER_DEPLOYMENT_DEFAULTS.WORKER_STICKY_QUEUE_TIMEOUT_SECONDS ??
      10;
    const stickyMs = Number(stickySeconds) * 1000;
    const recoveries: ChaosReport['dunningRecoveries'] = [];
    await inParallel(dunning, 4, async (c) => {
      await actions.recovered(c, dunningKilled ? stickyMs : 0).then(
        () => void recoveries.push({ email: c.email, seconds: Math.round((Date.now() - cardsAdded) / 1000) }),
        async (err: Error) => {
          recoveries.push({ email: c.email, seconds: null });
          // The money's trail instead of the subscription's last body: what a printout of CI can show.
          const trace = await dunningTrace({ sql: sql(), temporal: temporalClient, stripe }, c.email).catch(
            (e: unknown) => `no trace: ${String(e)}`,
          );
          c.surprises.push(`${err.message.split('; last: ')[0]}; ${trace}`);
        },
      );
    });

    log('cancellations, pauses and departures');
    await inParallel(customers, 4, async (c) => {
      if (c.surprises.length) return;
      await actions.finale(c).catch((err: Error) => void c.surprises.push(err.message));
    });

    // Settle: every webhook delivered, every event forwarded, the mirror caught up with Stripe.
    log('settling');
    await emulator.retrying('POST', '/_emulator/webhooks/flush');
    await until(
      'every recorded webhook forwarded',
      async () => {
        const [row] = await sql().run<{ n: unknown }>(
          'select count(*) as n from webhook_events where forwarded_at is null',
        );
        return num(row?.n);
      },
      (n) => n === 0,
      180_000,
      1000,
    );
    const emails = new Map<string, string>();
    const rows = await sql().run<{ email: string; stripe_customer_id: string | null }>(
      'select email, stripe_customer_id from customers',
    );
    for (const r of rows)
      if (r.stripe_customer_id && r.email.startsWith(`chaos${opts.seed}-`))
        emails.set(r.email, r.stripe_customer_id);
    const inputs = {
      orm,
      stripe,
      emulatorUrl: cluster.urls.stripe,
      temporal: temporalClient,
      customers: emails,
      usage,
      lago,
      keycloakAttributes: (email: string) => cluster.keycloakAttributes(email),
      refusedTrials: new Set(
        customers
          .filter((c) => c.secondTrial)
          .flatMap((c) => (emails.has(c.email) ? [emails.get(c.email)!] : [])),
      ),
    };
    // The mirror follows Stripe through workflows that may still be applying the last events.
    await until(
      'the mirror to equal Stripe',
      () => webhooksApplied(inputs),
      (r) => r.breaches.length === 0,
      120_000,
      2000,
    ).catch(() => undefined);
    // Keycloak is written off the workflow's main path, after the state it reflects.
    await until(
      "Keycloak's attributes to follow",
      () => keycloakInStep(inputs),
      (r) => r.breaches.length === 0,
      60_000,
      2000,
    ).catch(() => undefined);
    const invariants = await checkAll(inputs);
    // Through the lane, the APIs while it was down, and PostgreSQL's crash: the gateway always got a yes or no.
    invariants.push({
      name: "the gateway's checks were each answered with a decision",
      checked: `${checks.asked} checks`,
      breaches: checks.undecided,
    });
    // What each customer is told about their credits, beside what the ledger holds.
    const balances = new Map<string, number | null>();
    for (const c of customers) {
      if (!emails.has(c.email)) continue;
      const answer = await api.retrying('GET', '/api/v1/billing/credits', { token: c.token });
      balances.set(c.email, answer.status === 200 ? Number(answer.body.balance) : null);
    }
    invariants.push(
      await creditsBalanced(inputs, {
        balances,
        purchases: new Map(
          customers.filter((c) => c.persona === 'prepaid' && pack).map((c) => [c.email, pack!.credits]),
        ),
        capped: new Set(customers.filter((c) => c.persona === 'capped').map((c) => c.email)),
        rejected: usage.rejected,
      }),
    );
    const surprises = customers.flatMap((c) => c.surprises.map((s) => `${c.email} (${c.persona}): ${s}`));
    const personas: Record<string, number> = {};
    for (const c of customers) personas[c.persona] = (personas[c.persona] ?? 0) + 1;
    const restarts: Record<string, number> = {};
    // Every long-running service of the topology (PostgreSQL the cluster restarts itself), and the emulator.
    const supervised = TOPOLOGY.filter((s) => !s.job && s.image !== 'postgres').map((s) => s.name);
    for (const name of [...supervised, 'stripe']) restarts[name] = cluster.process(name).restarts;
    return {
      seed: opts.seed,
      customers: customers.length,
      personas,
      usage: {
        requests: usage.requests,
        events: usage.events,
        acknowledged: [...usage.stored.values()].reduce((n, s) => n + s.size, 0),
        rejected: [...usage.rejected.values()].reduce<Record<string, number>>((byReason, reason) => {
          byReason[reason] = (byReason[reason] ?? 0) + 1;
          return byReason;
        }, {}),
      },
      renewals: advanced,
      faults: faults.records,
      restarts,
      retriedCalls: api.counters.retried + emulator.counters.retried,
      surprises,
      invariants,
      dunningRecoveries: recoveries,
      durationMs: Date.now() - started,
      ok:
        surprises.length === 0 &&
        invariants.every((i) => i.breaches.length === 0) &&
        faults.records.every((f) => f.recoveryMs !== null),
    };
  } finally {
    await orm.close();
    await connection.close();
    await cluster.stop();
    await lago.stop();
  }
}

/** The report as a person reads it. */
export function describeReport(r: ChaosReport): string {
  const lines = [
    `chaos run, seed ${r.seed}: ${r.customers} customers (${Object.entries(r.personas)
      .map(([p, n]) => `${n} ${p}`)
      .join(', ')})`,
    `  usage: ${r.usage.events} events in ${r.usage.requests} requests, ${r.usage.acknowledged} acknowledged, rejected: ${
      Object.entries(r.usage.rejected)
        .map(([why, n]) => `${n} ${why}`)
        .join(', ') || 'none'
    }`,
    `  renewals: ${r.renewals}; calls sent again after no answer: ${r.retriedCalls}`,
    `  dunning customers seen active after a working card: ${
      r.dunningRecoveries
        .map((d) => `${d.email} ${d.seconds === null ? 'never' : `in ${d.seconds} s`}`)
        .join(', ') || 'none'
    }`,
    `  faults (${r.faults.length}):`,
    ...r.faults.map(
      (f) =>
        `    at ${f.at}: ${f.fault}${f.recoveryMs === null ? ' — DID NOT STRIKE' : f.recoveryMs ? `, recovered in ${(f.recoveryMs / 1000).toFixed(1)} s` : ''}${f.note ? ` (${f.note})` : ''}`,
    ),
    `  restarts: ${Object.entries(r.restarts)
      .map(([p, n]) => `${p} ${n}`)
      .join(', ')}`,
    '  invariants:',
    ...r.invariants.flatMap((i) => [
      `    ${i.breaches.length ? 'BROKEN' : 'held  '} ${i.name} (${i.checked})`,
      ...i.breaches.slice(0, 20).map((b) => `      - ${b}`),
    ]),
    ...(r.surprises.length ? ['  surprises:', ...r.surprises.map((s) => `    - ${s}`)] : []),
    `  ${r.ok ? 'no invariant broken' : 'FAILED'} in ${(r.durationMs / 1000).toFixed(0)} s`,
  ];
  return lines.join('\n');
}

/** The run's credit pack: made once per seed (a rerun on kept data finds it on sale). */
async function creditPack(
  api: Client,
  admin: string,
  seed: number,
): Promise<{ id: string; credits: number }> {
  const code = `chaos-${seed}`;
  const credits = 500;
  const made = await api.retrying('POST', '/api/v1/admin/billing/credit-packs', {
    token: admin,
    body: { code, name: `Chaos ${seed}`, credits, price_cents: 500 },
  });
  if (made.status !== 201 && made.status !== 409)
    throw new Error(`making the credit pack answered ${made.status} ${JSON.stringify(made.body)}`);
  const onSale = await api.retrying('GET', '/api/v1/plans/credit-packs');
  const found = (onSale.body.packs as { id: string; code: string }[] | undefined)?.find(
    (p) => p.code === code,
  );
  if (!found) throw new Error(`the credit pack ${code} is not on sale: ${JSON.stringify(onSale.body)}`);
  return { id: found.id, credits };
}

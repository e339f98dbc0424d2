/**
 * `npm run stripe:advance -- --email you@example.com --days 31` (or `--customer cus_…`, `--to 2026-03-01`):
 * moves the test clock of a development customer forward, so Stripe (the emulator) bills the renewals,
 * trial ends and retries that fall due and sends their webhooks to the engine.
 */
import type Stripe from 'stripe';
import { createStripeClient } from '../integrations/stripe/client';
import { DEFAULT_PORT as EMULATOR_DEFAULT_PORT } from './stripe-emulator';

const DAY = 86_400;

export interface AdvanceRequest {
  email?: string;
  customer?: string;
  days?: number;
  /** Absolute target, Unix seconds. */
  to?: number;
}

export interface AdvanceReport {
  clock: string;
  customers: string[];
  from: number;
  to: number;
  subscriptions: { id: string; status: string; periodEnd: number | null }[];
  invoices: {
    id: string;
    reason: string | null;
    amountDue: number;
    status: string | null;
    created: number;
  }[];
}

export function parseArgs(argv: string[]): AdvanceRequest {
  const req: AdvanceRequest = {};
  for (let i = 0; i < argv.length; i++) {
    const value = argv[i + 1];
    const need = (name: string): string => {
      if (value === undefined || value.startsWith('--')) throw new Error(`${name} needs a value`);
      i++;
      return value;
    };
    switch (argv[i]) {
      case '--email':
        req.email = need('--email');
        break;
      case '--customer':
        req.customer = need('--customer');
        break;
      case '--days': {
        const days = Number(need('--days'));
        if (!Number.isFinite(days) || days <= 0) throw new Error('--days must be a positive number');
        req.days = days;
        break;
      }
      case '--to': {
        const raw = need('--to');
        const ms = Date.parse(raw);
        if (Number.isNaN(ms))
          throw new Error(`--to ${raw} is not a date (e.g. 2026-03-01 or an ISO 8601 time)`);
        req.to = Math.floor(ms / 1000);
        break;
      }
      default:
        throw new Error(`unknown argument ${String(argv[i])}`);
    }
  }
  if (!req.email === !req.customer) throw new Error('give one of --email or --customer');
  if ((req.days === undefined) === (req.to === undefined)) throw new Error('give one of --days or --to');
  return req;
}

async function customersOf(stripe: Stripe, req: AdvanceRequest): Promise<Stripe.Customer[]> {
  if (req.customer) {
    const c = await stripe.customers.retrieve(req.customer);
    if (c.deleted) throw new Error(`customer ${req.customer} is deleted`);
    return [c];
  }
  const found = await stripe.customers.list({ email: req.email, limit: 100 });
  if (found.data.length === 0) throw new Error(`no Stripe customer with email ${String(req.email)}`);
  return found.data;
}

/** Advances the test clock of the customer(s) asked for, and says what billing happened meanwhile. */
export async function advanceCustomerClock(stripe: Stripe, req: AdvanceRequest): Promise<AdvanceReport> {
  const customers = await customersOf(stripe, req);
  const clocks = [...new Set(customers.map((c) => c.test_clock).filter((c): c is string => Boolean(c)))];
  if (clocks.length === 0) {
    throw new Error(
      `customer ${customers.map((c) => c.id).join(', ')} has no test clock: only customers created while the ` +
        'emulator gives each new customer a clock (as `npm run dev` starts it) can be moved in time',
    );
  }
  if (clocks.length > 1) {
    throw new Error(
      `customers with this email are on several clocks (${clocks.join(', ')}); pass --customer`,
    );
  }
  const clockId = clocks[0] as string;
  const before = await stripe.testHelpers.testClocks.retrieve(clockId);
  const to = req.to ?? before.frozen_time + Math.round((req.days ?? 0) * DAY);
  if (to <= before.frozen_time) {
    throw new Error(
      `the clock is already at ${new Date(before.frozen_time * 1000).toISOString()}; a clock only moves forward`,
    );
  }
  let clock = await stripe.testHelpers.testClocks.advance(clockId, { frozen_time: to });
  // Stripe advances asynchronously; the emulator is done before it answers.
  for (let i = 0; clock.status === 'advancing' && i < 600; i++) {
    await new Promise((r) => setTimeout(r, 1000));
    clock = await stripe.testHelpers.testClocks.retrieve(clockId);
  }
  const onClock = customers.filter((c) => c.test_clock === clockId).map((c) => c.id);
  const subscriptions: AdvanceReport['subscriptions'] = [];
  const invoices: AdvanceReport['invoices'] = [];
  for (const customer of onClock) {
    for (const s of (await stripe.subscriptions.list({ customer, status: 'all', limit: 100 })).data) {
      const periodEnd = s.items.data[0]?.current_period_end ?? null;
      subscriptions.push({ id: s.id, status: s.status, periodEnd });
    }
    const recent = await stripe.invoices.list({ customer, created: { gt: before.frozen_time }, limit: 100 });
    // Filtered here as well: not every Stripe-compatible server honours `created` on this list.
    for (const inv of recent.data.filter((x) => x.created > before.frozen_time)) {
      invoices.push({
        id: inv.id ?? '',
        reason: inv.billing_reason,
        amountDue: inv.amount_due,
        status: inv.status,
        created: inv.created,
      });
    }
  }
  invoices.sort((a, b) => a.created - b.created);
  return {
    clock: clockId,
    customers: onClock,
    from: before.frozen_time,
    to: clock.frozen_time,
    subscriptions,
    invoices,
  };
}

const iso = (s: number) => new Date(s * 1000).toISOString().replace('.000Z', 'Z');

export function describe(report: AdvanceReport): string {
  const lines = [
    `test clock ${report.clock} (customer ${report.customers.join(', ')}): ${iso(report.from)} -> ${iso(report.to)}`,
  ];
  for (const s of report.subscriptions) {
    lines.push(
      `  subscription ${s.id}: ${s.status}${s.periodEnd ? `, period ends ${iso(s.periodEnd)}` : ''}`,
    );
  }
  if (report.invoices.length === 0) lines.push('  no invoices fell due');
  for (const i of report.invoices) {
    lines.push(
      `  invoice ${i.id} (${i.reason ?? 'manual'}) ${i.amountDue} cents: ${i.status ?? ''}, ${iso(i.created)}`,
    );
  }
  lines.push(
    "Webhooks for these are on their way to the engine. Not moved: the engine's own Temporal timers " +
      '(trial-ending reminders, scheduled plan changes and cancellations) and daily quota windows, which run on real time.',
  );
  return lines.join('\n');
}

async function main(): Promise<void> {
  const req = parseArgs(process.argv.slice(2));
  const emulatorPort = process.env.STRIPE_EMULATOR_PORT || String(EMULATOR_DEFAULT_PORT);
  const secretKey = process.env.STRIPE_SECRET_KEY || undefined;
  // With no key and no base, the emulator `npm run dev` starts; with a test key alone, Stripe's test mode.
  const apiBase = process.env.STRIPE_API_BASE || (secretKey ? undefined : `http://127.0.0.1:${emulatorPort}`);
  const stripe = createStripeClient({ secretKey, apiBase });
  if (!stripe) throw new Error('no Stripe to talk to');
  console.log(describe(await advanceCustomerClock(stripe, req)));
}

if (require.main === module) {
  main().catch((e: unknown) => {
    console.error(`stripe:advance: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(1);
  });
}

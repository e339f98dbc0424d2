/**
 * What must hold after the chaos run, whatever was killed along the way: money moved once, usage counted
 * and billed once, every webhook applied, the engine agreeing with Stripe, and no workflow stuck. Each check
 * returns the breaches it found, named so a person can look them up; none is a pass.
 */
import type { MikroORM } from '@mikro-orm/core';
import type { Client as TemporalClient } from '@temporalio/client';
import type Stripe from 'stripe';
import { num, readDate, sqlFor } from '../../db/raw-sql';
import { ratingContexts } from '../../db/rating-context';
import { overageCost } from '../../domain/credit-usage';
import { rateUsage } from '../../domain/rate-card-rating';
import { grantsAccess, isFinal, type SubscriptionStatus } from '../../domain/subscription-status';
import { USAGE_METER_EVENT } from '../../integrations/stripe/catalog-sync';
import type { LagoFake } from '../lago-fake';
import type { UsageLedger } from './usage';

export interface Invariant {
  name: string;
  /** What was compared, for the report (e.g. "412 invoices"). */
  checked: string;
  breaches: string[];
}

export interface InvariantInputs {
  orm: MikroORM;
  stripe: Stripe;
  /** The emulator's control API (`/_emulator/…`). */
  emulatorUrl: string;
  temporal: TemporalClient;
  /** The run's customers: email → Stripe customer id. */
  customers: Map<string, string>;
  usage: UsageLedger;
  /** The run's Lago, read directly (its events have no read route). */
  lago: LagoFake;
  /** Stripe customers whose trial was a second one on a card: the engine refunds its $1.00 by rule. */
  refusedTrials: Set<string>;
  /** The attributes Keycloak holds for a person (null when Keycloak has no such user). */
  keycloakAttributes: (email: string) => Promise<Record<string, string[]> | null>;
}

const all = <T>(list: { autoPagingToArray(o: { limit: number }): Promise<T[]> }) =>
  list.autoPagingToArray({ limit: 10_000 });

/** Every invoice paid once, by one charge; no refund, credit note or second subscription nobody asked for. */
export async function paidOnce(i: InvariantInputs): Promise<Invariant> {
  const breaches: string[] = [];
  const ours = new Set(i.customers.values());
  const invoices = (await all(i.stripe.invoices.list({ limit: 100 }))).filter((v) =>
    ours.has(String(v.customer)),
  );
  const charges = (await all(i.stripe.charges.list({ limit: 100 }))).filter((c) =>
    ours.has(String(c.customer)),
  );
  const succeeded = new Map<string, number>();
  for (const c of charges) {
    const invoice = (c as unknown as { invoice: string | null }).invoice;
    if (c.status === 'succeeded' && invoice) succeeded.set(invoice, (succeeded.get(invoice) ?? 0) + 1);
  }
  for (const inv of invoices) {
    const n = succeeded.get(inv.id) ?? 0;
    if (n > 1) breaches.push(`invoice ${inv.id} was charged ${n} times`);
    if (inv.status === 'paid' && inv.amount_paid > 0 && n !== 1)
      breaches.push(`invoice ${inv.id} is paid (${inv.amount_paid}) with ${n} charges`);
  }
  // One subscription per customer: a checkout retried after a lost answer must not make a second.
  const subs = await all(i.stripe.subscriptions.list({ limit: 100, status: 'all' }));
  const perCustomer = new Map<string, number>();
  for (const s of subs)
    if (ours.has(String(s.customer)))
      perCustomer.set(String(s.customer), (perCustomer.get(String(s.customer)) ?? 0) + 1);
  for (const [customer, n] of perCustomer) if (n > 1) breaches.push(`${customer} has ${n} subscriptions`);
  const refunded = new Map<string, number>();
  const chargeOwner = new Map(charges.map((c) => [c.id, String(c.customer)]));
  for (const r of await all(i.stripe.refunds.list({ limit: 100 }))) {
    const owner = chargeOwner.get(String(r.charge));
    if (owner && i.refusedTrials.has(owner) && r.amount === 100)
      refunded.set(owner, (refunded.get(owner) ?? 0) + 1);
    else breaches.push(`refund ${r.id} of ${r.amount} that nobody asked for`);
  }
  for (const owner of i.refusedTrials)
    if (refunded.get(owner) !== 1)
      breaches.push(`the refused trial of ${owner} was refunded ${refunded.get(owner) ?? 0} times`);
  for (const n of await all(i.stripe.creditNotes.list({ limit: 100 })))
    breaches.push(`credit note ${n.id} that nobody asked for`);
  // The engine's mirror says what Stripe says about every invoice.
  const sql = sqlFor(i.orm.em.fork());
  const rows = await sql.run<{ stripe_invoice_id: string; status: string; amount_paid_cents: unknown }>(
    'select stripe_invoice_id, status, amount_paid_cents from invoices',
  );
  const mirrored = new Map(rows.map((r) => [r.stripe_invoice_id, r]));
  for (const inv of invoices) {
    if (inv.status === 'draft') continue;
    const row = mirrored.get(inv.id);
    if (!row) breaches.push(`invoice ${inv.id} (${inv.status}) is missing from the engine`);
    else if (row.status !== inv.status || num(row.amount_paid_cents) !== inv.amount_paid)
      breaches.push(
        `invoice ${inv.id}: the engine says ${row.status} ${num(row.amount_paid_cents)}, Stripe ${inv.status} ${inv.amount_paid}`,
      );
  }
  // Credit packs bought through Checkout are grants someone asked for (creditsBalanced checks them).
  const grants = await sql.run<{ n: unknown }>(
    "select count(*) as n from credit_grants where source <> 'purchase'",
  );
  if (num(grants[0]?.n) > 0) breaches.push(`${num(grants[0]?.n)} credit grants that nobody asked for`);
  return {
    name: 'every invoice paid exactly once; no refund, credit or grant without a request',
    checked: `${invoices.length} invoices, ${charges.length} charges, ${subs.length} subscriptions`,
    breaches,
  };
}

/** Every acknowledged event stored once and rolled up once; the meter says what the engine rated. */
export async function usageOnce(i: InvariantInputs): Promise<Invariant> {
  const breaches: string[] = [];
  const sql = sqlFor(i.orm.em.fork());
  const events = await sql.run<{ email: string; event_id: string; n: unknown }>(
    `select c.email, e.event_id, count(*) as n from usage_events e join customers c on c.id = e.customer_id
      group by c.email, e.event_id`,
  );
  const stored = new Map<string, Set<string>>();
  for (const e of events) {
    if (num(e.n) !== 1) breaches.push(`event ${e.event_id} of ${e.email} is stored ${num(e.n)} times`);
    const set = stored.get(e.email) ?? new Set<string>();
    set.add(e.event_id);
    stored.set(e.email, set);
  }
  let acknowledged = 0;
  for (const [email, ids] of i.usage.stored) {
    acknowledged += ids.size;
    const have = stored.get(email) ?? new Set<string>();
    const lost = [...ids].filter((id) => !have.has(id));
    if (lost.length)
      breaches.push(
        `${email}: ${lost.length} acknowledged events not stored (${lost.slice(0, 3).join(', ')})`,
      );
  }
  for (const [email, ids] of stored) {
    const acked = i.usage.stored.get(email) ?? new Set<string>();
    const extra = [...ids].filter((id) => !acked.has(id));
    if (extra.length)
      breaches.push(
        `${email}: ${extra.length} events stored that were not acknowledged (${extra.slice(0, 3).join(', ')})`,
      );
  }
  // The day counters are the sum of the ledger.
  const days = await sql.run<{ customer_id: string; day_total: unknown; event_total: unknown }>(
    `select d.customer_id, d.day_total, coalesce(e.event_total, 0) as event_total
       from (select customer_id, sum(quantity) as day_total from daily_usage group by customer_id) d
       left join (select customer_id, sum(quantity) as event_total from usage_events where not byok group by customer_id) e
         on e.customer_id = d.customer_id`,
  );
  for (const d of days)
    if (num(d.day_total) !== num(d.event_total))
      breaches.push(`${d.customer_id}: day counters ${num(d.day_total)} ≠ events ${num(d.event_total)}`);
  // Each event in one rollup, each rollup reported to Stripe.
  const unrolled = await sql.run<{ n: unknown }>(
    'select count(*) as n from usage_events where rollup_id is null',
  );
  if (num(unrolled[0]?.n) > 0) breaches.push(`${num(unrolled[0]?.n)} events in no rollup`);
  const rolled = await sql.run<{ customer_id: string; events: unknown; rollups: unknown }>(
    `select e.customer_id, e.events, coalesce(r.rollups, 0) as rollups
       from (select customer_id, sum(quantity - prepaid) as events from usage_events where not byok group by customer_id) e
       left join (select customer_id, sum(quantity) as rollups from usage_rollups group by customer_id) r
         on r.customer_id = e.customer_id`,
  );
  for (const r of rolled)
    if (num(r.events) !== num(r.rollups))
      breaches.push(`${r.customer_id}: rollups hold ${num(r.rollups)} units, its events ${num(r.events)}`);
  const unreported = await sql.run<{ n: unknown }>(
    'select count(*) as n from usage_rollups where stripe_reported_at is null',
  );
  if (num(unreported[0]?.n) > 0) breaches.push(`${num(unreported[0]?.n)} rollups never reported to Stripe`);
  // The meter's figure for each period is the engine's rating of that period.
  const periods = await sql.run<{
    customer_id: string;
    stripe_customer_id: string;
    period_start: unknown;
    line_key: string;
    n: unknown;
  }>(
    `select r.customer_id, c.stripe_customer_id, r.period_start, r.line_key, sum(r.quantity) as n
       from usage_rollups r join customers c on c.id = r.customer_id
      group by r.customer_id, c.stripe_customer_id, r.period_start, r.line_key`,
  );
  const contexts = await ratingContexts(
    sql,
    periods.map((p) => p.customer_id),
  );
  const byPeriod = new Map<
    string,
    { stripeCustomer: string; customerId: string; start: Date; units: Map<string, number> }
  >();
  for (const p of periods) {
    const start = readDate(p.period_start);
    const key = `${p.customer_id}|${start.getTime()}`;
    const entry = byPeriod.get(key) ?? {
      stripeCustomer: p.stripe_customer_id,
      customerId: p.customer_id,
      start,
      units: new Map(),
    };
    entry.units.set(p.line_key, (entry.units.get(p.line_key) ?? 0) + num(p.n));
    byPeriod.set(key, entry);
  }
  for (const p of byPeriod.values()) {
    const ctx = contexts.get(p.customerId);
    if (!ctx) continue;
    const engine = rateUsage(ctx.lines, p.units).cents;
    const startS = Math.floor(p.start.getTime() / 1000);
    const q = new URLSearchParams({
      customer: p.stripeCustomer,
      meter: USAGE_METER_EVENT,
      start: String(startS),
      end: String(startS + 28 * 86_400),
    });
    const meter = (await fetch(`${i.emulatorUrl}/_emulator/usage?${q}`).then((r) => r.json())) as {
      value: number;
    };
    if (Number(meter.value) !== engine)
      breaches.push(
        `${p.stripeCustomer} period ${p.start.toISOString()}: the meter says ${meter.value}, the engine rated ${engine}`,
      );
  }
  return {
    name: 'every acknowledged usage event counted once in the engine and billed once on the meter',
    checked: `${acknowledged} acknowledged events, ${i.usage.rejected.size} rejected, ${byPeriod.size} billing periods`,
    breaches,
  };
}

/** Every webhook Stripe delivered reached its workflow; every subscription in the engine is Stripe's. */
export async function webhooksApplied(i: InvariantInputs): Promise<Invariant> {
  const breaches: string[] = [];
  const { deliveries } = (await fetch(`${i.emulatorUrl}/_emulator/webhooks`, { method: 'GET' }).then((r) =>
    r.json(),
  )) as { deliveries: { eventId: string; status: number | null }[] };
  const acknowledged = new Set(
    deliveries.filter((d) => d.status !== null && d.status >= 200 && d.status < 300).map((d) => d.eventId),
  );
  const sql = sqlFor(i.orm.em.fork());
  const rows = await sql.run<{ id: string; forwarded_at: unknown }>(
    'select id, forwarded_at from webhook_events',
  );
  const forwarded = new Map(rows.map((r) => [r.id, r.forwarded_at !== null]));
  for (const id of acknowledged) {
    if (!forwarded.has(id)) breaches.push(`event ${id} was acknowledged but is not recorded`);
    else if (!forwarded.get(id)) breaches.push(`event ${id} was recorded but never reached its workflow`);
  }
  const subs = await sql.run<{
    stripe_subscription_id: string;
    status: string;
    stripe_price_id: string | null;
    current_period_end: unknown;
    cancel_at_period_end: unknown;
  }>(
    `select stripe_subscription_id, status, stripe_price_id, current_period_end, cancel_at_period_end
       from subscriptions where stripe_subscription_id is not null`,
  );
  const mirror = new Map(subs.map((s) => [s.stripe_subscription_id, s]));
  const ours = new Set(i.customers.values());
  let compared = 0;
  for (const s of await all(i.stripe.subscriptions.list({ limit: 100, status: 'all' }))) {
    if (!ours.has(String(s.customer))) continue;
    compared++;
    const row = mirror.get(s.id);
    if (!row) {
      breaches.push(`subscription ${s.id} (${s.status}) is missing from the engine`);
      continue;
    }
    const item = s.items.data.find((it) => it.price.recurring?.usage_type !== 'metered');
    const stripeEnd = (item as unknown as { current_period_end?: number } | undefined)?.current_period_end;
    const engineEnd = row.current_period_end
      ? Math.floor(readDate(row.current_period_end).getTime() / 1000)
      : null;
    const differ: string[] = [];
    if (row.status !== s.status) differ.push(`status ${row.status} vs ${s.status}`);
    if (item && row.stripe_price_id !== item.price.id)
      differ.push(`price ${row.stripe_price_id} vs ${item.price.id}`);
    if (stripeEnd !== undefined && engineEnd !== stripeEnd)
      differ.push(`period end ${engineEnd} vs ${stripeEnd}`);
    if (Boolean(row.cancel_at_period_end) !== s.cancel_at_period_end)
      differ.push(`cancel_at_period_end ${String(row.cancel_at_period_end)} vs ${s.cancel_at_period_end}`);
    if (differ.length) breaches.push(`subscription ${s.id}: ${differ.join('; ')}`);
  }
  return {
    name: "every webhook acknowledged reached its workflow; every subscription's state equals Stripe's",
    checked: `${acknowledged.size} events acknowledged, ${compared} subscriptions`,
    breaches,
  };
}

/** No workflow failed, none has a failing task, no activity is retrying beyond its policy's first tries. */
export async function noStuckWorkflows(i: InvariantInputs): Promise<Invariant> {
  const breaches: string[] = [];
  let open = 0;
  let closed = 0;
  for await (const wf of i.temporal.workflow.list()) {
    if (wf.status.name !== 'RUNNING') {
      closed++;
      if (['FAILED', 'TIMED_OUT', 'TERMINATED'].includes(wf.status.name))
        breaches.push(`workflow ${wf.workflowId} ${wf.status.name.toLowerCase()}`);
      continue;
    }
    open++;
    const d = await i.temporal.workflow.getHandle(wf.workflowId, wf.runId).describe();
    const raw = d.raw;
    if ((raw.pendingWorkflowTask?.attempt ?? 1) > 1)
      breaches.push(
        `workflow ${wf.workflowId}: its task failed ${raw.pendingWorkflowTask!.attempt! - 1} times`,
      );
    for (const a of raw.pendingActivities ?? [])
      if ((a.attempt ?? 1) > 3)
        breaches.push(
          `workflow ${wf.workflowId}: activity ${a.activityType?.name} on attempt ${a.attempt} (${a.lastFailure?.message ?? ''})`,
        );
  }
  return {
    name: 'no workflow stuck: none failed, no failing workflow task, no activity retrying past its first tries',
    checked: `${open} open and ${closed} closed workflows`,
    breaches,
  };
}

/** Lago bills what the engine says: each customer, its subscription on its plan, each rollup once. */
export async function lagoInStep(i: InvariantInputs): Promise<Invariant> {
  const breaches: string[] = [];
  const sql = sqlFor(i.orm.em.fork());
  const subs = await sql.run<{
    id: string;
    customer_id: string;
    email: string;
    tier: string;
    status: string;
  }>(
    `select s.id, s.customer_id, c.email, s.tier, s.status from subscriptions s join customers c on c.id = s.customer_id
      where s.stripe_subscription_id is not null`,
  );
  const customers = new Map(i.lago.customers().map((c) => [c.external_id, c]));
  const lagoSubs = i.lago.subscriptions();
  for (const s of subs) {
    const status = s.status as SubscriptionStatus;
    const active = lagoSubs.filter((l) => l.external_id === s.id && l.status === 'active');
    if (isFinal(status)) {
      if (active.length) breaches.push(`subscription ${s.id} is ${status} but active in Lago`);
      continue;
    }
    if (!grantsAccess(status)) continue;
    if (customers.get(s.customer_id)?.email !== s.email)
      breaches.push(`customer ${s.customer_id} (${s.email}) is not in Lago`);
    if (active.length !== 1)
      breaches.push(`subscription ${s.id} (${status}) has ${active.length} active Lago subscriptions`);
    else if (active[0]!.plan_code !== s.tier || active[0]!.external_customer_id !== s.customer_id)
      breaches.push(`subscription ${s.id} is ${s.tier} in the engine, ${active[0]!.plan_code} in Lago`);
  }
  const rollups = await sql.run<{ identifier: string; quantity: unknown; lago_reported_at: unknown }>(
    'select identifier, quantity, lago_reported_at from usage_rollups',
  );
  const events = new Map<string, number>();
  for (const e of i.lago.events()) events.set(e.transaction_id, (events.get(e.transaction_id) ?? 0) + 1);
  let sent = 0;
  for (const r of rollups) {
    if (r.lago_reported_at === null) breaches.push(`rollup ${r.identifier} never reported to Lago`);
    const n = events.get(r.identifier) ?? 0;
    // A rollup that credits paid whole is kept at 0 and marked reported without a call.
    const want = num(r.quantity) > 0 ? 1 : 0;
    if (n !== want) breaches.push(`rollup ${r.identifier} (${num(r.quantity)} units) is ${n} events in Lago`);
    sent += want;
  }
  if (events.size !== sent) breaches.push(`Lago holds ${events.size} usage events for ${sent} rollups`);
  return {
    name: "Lago's customers, subscriptions and usage equal the engine's",
    checked: `${subs.length} subscriptions, ${rollups.length} rollups, ${events.size} Lago events`,
    breaches,
  };
}

/**
 * What the AI gateway reads in Keycloak is what the engine holds: each customer's newest subscription that
 * Stripe has (tier, status, ids and period) in their user's attributes.
 */
export async function keycloakInStep(i: InvariantInputs): Promise<Invariant> {
  const breaches: string[] = [];
  const sql = sqlFor(i.orm.em.fork());
  let compared = 0;
  for (const email of i.customers.keys()) {
    const [s] = await sql.run<{
      tier: string;
      status: string;
      stripe_customer_id: string;
      stripe_subscription_id: string;
      current_period_start: unknown;
      current_period_end: unknown;
    }>(
      `select s.tier, s.status, c.stripe_customer_id, s.stripe_subscription_id, s.current_period_start,
              s.current_period_end
         from subscriptions s join customers c on c.id = s.customer_id
        where c.email = ? and s.status <> 'incomplete' and s.stripe_subscription_id is not null
        order by s.created_at desc limit 1`,
      [email],
    );
    if (!s) continue;
    compared++;
    const held = await i.keycloakAttributes(email);
    if (!held) {
      breaches.push(`${email} has no Keycloak user`);
      continue;
    }
    const one = (name: string) => held[name]?.[0] ?? null;
    const date = (value: unknown) => (value === null ? null : readDate(value).getTime());
    const attrDate = (name: string) => (one(name) === null ? null : Date.parse(one(name)!));
    const differs = [
      ['subscription_tier', one('subscription_tier') !== s.tier],
      ['subscription_status', one('subscription_status') !== s.status],
      ['stripe_customer_id', one('stripe_customer_id') !== s.stripe_customer_id],
      ['stripe_subscription_id', one('stripe_subscription_id') !== s.stripe_subscription_id],
      ['subscription_start_date', attrDate('subscription_start_date') !== date(s.current_period_start)],
      ['subscription_end_date', attrDate('subscription_end_date') !== date(s.current_period_end)],
    ].flatMap(([name, bad]) => (bad ? [name as string] : []));
    if (differs.length)
      breaches.push(
        `${email}: Keycloak holds ${differs.map((n) => `${n}=${one(n) ?? 'none'}`).join(', ')}; ` +
          `the engine, a ${s.tier} ${s.status} subscription ${s.stripe_subscription_id}`,
      );
  }
  return {
    name: "Keycloak's attributes equal the engine's subscription",
    checked: `${compared} customers`,
    breaches,
  };
}

export interface CreditExpectations {
  /** What GET /billing/credits answered each customer (null: no answer). */
  balances: Map<string, number | null>;
  /** Customers who bought one pack, and its credits. */
  purchases: Map<string, number>;
  /** Customers whose blocking spend cap allows no overage. */
  capped: Set<string>;
  rejected: Map<string, string>;
}

/**
 * A balance is the sum of its ledger: each grant less what was drawn from it, what usage paid with
 * credits equal to the draws, the balance a customer is told equal to the ledger's. A pack bought once is
 * granted once, paid once in Stripe; a blocking cap of nothing lets no overage be stored.
 */
export async function creditsBalanced(i: InvariantInputs, want: CreditExpectations): Promise<Invariant> {
  const breaches: string[] = [];
  const sql = sqlFor(i.orm.em.fork());
  const grants = await sql.run<{
    email: string;
    id: string;
    amount: unknown;
    source: string;
    stripe_object_id: string | null;
    drawn: unknown;
  }>(
    `select c.email, g.id, g.amount, g.source, g.stripe_object_id,
            (select coalesce(sum(m.amount), 0) from credit_movements m where m.grant_id = g.id) as drawn
       from credit_grants g join customers c on c.id = g.customer_id`,
  );
  const ledger = new Map<string, number>();
  const bought = new Map<string, { credits: number; payments: string[] }>();
  for (const g of grants) {
    const left = num(g.amount) - Math.abs(num(g.drawn));
    if (left < 0) breaches.push(`grant ${g.id} of ${g.email} is overdrawn by ${-left}`);
    ledger.set(g.email, (ledger.get(g.email) ?? 0) + left);
    if (g.source === 'purchase') {
      const b = bought.get(g.email) ?? { credits: 0, payments: [] };
      b.credits += num(g.amount);
      b.payments.push(String(g.stripe_object_id));
      bought.set(g.email, b);
    }
  }
  for (const [email, told] of want.balances) {
    const held = ledger.get(email) ?? 0;
    if (told !== held)
      breaches.push(`${email} is told a balance of ${String(told)}, the ledger holds ${held}`);
  }
  for (const [email, credits] of want.purchases) {
    const b = bought.get(email);
    if (!b || b.credits !== credits || b.payments.length !== 1)
      breaches.push(
        `${email} bought ${credits} credits once; granted ${b?.credits ?? 0} in ${b?.payments.length ?? 0}`,
      );
  }
  for (const email of bought.keys())
    if (!want.purchases.has(email)) breaches.push(`${email} was granted credits they did not buy`);
  const draws = await sql.run<{ email: string; prepaid: unknown; drawn: unknown }>(
    `select c.email,
            (select coalesce(sum(e.prepaid), 0) from usage_events e where e.customer_id = c.id) as prepaid,
            (select coalesce(sum(m.amount), 0) from credit_movements m
              where m.customer_id = c.id and m.kind = 'draw') as drawn
       from customers c`,
  );
  for (const d of draws)
    if (num(d.prepaid) !== Math.abs(num(d.drawn)))
      breaches.push(`${d.email}: usage paid ${num(d.prepaid)} with credits, ${Math.abs(num(d.drawn))} drawn`);
  let refusedAtCap = 0;
  for (const email of want.capped) {
    const [row] = await sql.run<{ units: unknown; prepaid: unknown; included: unknown; per1k: unknown }>(
      `select coalesce(sum(e.quantity), 0) as units, coalesce(sum(e.prepaid), 0) as prepaid,
              max(p.included_credits) as included, max(p.overage_per1k_cents) as per1k
         from customers c join subscriptions s on s.customer_id = c.id join plans p on p.code = s.tier
         left join usage_events e on e.customer_id = c.id
        where c.email = ?`,
      [email],
    );
    // The cap is on the overage's exact cost: a cap of 0 keeps not even a unit whose cost rounds to 0¢.
    const overage = row ? Math.max(0, num(row.units) - num(row.prepaid) - num(row.included)) : 0;
    const cost = row ? overageCost(overage, num(row.per1k)) : 0;
    if (overage > 0 && num(row?.per1k) > 0)
      breaches.push(`${email} has ${overage} units (${cost}¢) of overage stored past a cap of 0¢`);
    const id = email.split('@')[0];
    refusedAtCap += [...want.rejected].filter(
      ([event, reason]) => event.startsWith(`chaos-${id}-`) && reason === 'spend_cap_reached',
    ).length;
  }
  if (want.capped.size > 0 && refusedAtCap === 0) breaches.push('no event was refused at a spend cap');
  return {
    name: 'every credit balance is the sum of its ledger; packs granted once; nothing stored past a cap',
    checked: `${grants.length} grants, ${want.balances.size} balances, ${refusedAtCap} events refused at a cap`,
    breaches,
  };
}

export async function checkAll(i: InvariantInputs): Promise<Invariant[]> {
  return [
    await paidOnce(i),
    await usageOnce(i),
    await webhooksApplied(i),
    await lagoInStep(i),
    await keycloakInStep(i),
    await noStuckWorkflows(i),
  ];
}

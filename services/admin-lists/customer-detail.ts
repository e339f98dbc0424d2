import type { EntityManager } from '@mikro-orm/core';
import { prepaidDrawnSince } from '../../db/credit-ledger';
import { Charge, Customer, Invoice, ProviderKey, Subscription } from '../../db/entities';
import { seekRows } from '../../db/keyset-pagination';
import { dailyUsageByType, periodUsageByType } from '../../db/customer-period-usage';
import { num, sqlFor } from '../../db/raw-sql';
import { notFound } from '../../domain/errors';
import { creditsFor, DEFAULT_USAGE_TYPES, includedCreditsPerPeriod } from '../../domain/usage';
import { isFinal } from '../../domain/subscription-status';
import { moneyBackOf } from '../invoices/own-invoices';
import { unpooledTypes } from '../../domain/rate-card';

const DAY_MS = 86_400_000;

/** The customer an operator opened, by email (stored lower-cased); a 404 when there is none. */
export async function customerByEmail(em: EntityManager, email: string): Promise<Customer> {
  const customer = await em.findOne(Customer, { email: email.toLowerCase() });
  if (!customer) throw notFound('customer', email);
  return customer;
}

/** The newest subscription that is not over, else the newest of all (what the customer page shows). */
async function currentSubscription(em: EntityManager, customer: Customer): Promise<Subscription | null> {
  const subs = await em.find(
    Subscription,
    { customer },
    { populate: ['plan'], orderBy: { createdAt: 'desc', id: 'desc' }, limit: 20 },
  );
  return subs.find((s) => !isFinal(s.status)) ?? subs[0] ?? null;
}

/**
 * A customer's invoices, newest first, a page after the cursor's, each with its charges and what is
 * left to credit (what was paid, or is due, less refunds and credit notes) and to refund (that much of a
 * paid invoice, at most what its charges still hold), so the console offers only what may go back.
 */
export async function customerInvoices(
  em: EntityManager,
  email: string,
  q: { limit: number; cursor?: string },
) {
  const customer = await customerByEmail(em, email);
  const page = await seekRows(
    em,
    Invoice,
    { customer },
    { key: { field: 'createdAt', dir: 'desc', kind: 'date' }, limit: q.limit, cursor: q.cursor },
  );
  const ids = page.items.map((i) => i.stripeInvoiceId);
  const [back, charges] = await Promise.all([
    moneyBackOf(em, ids),
    ids.length
      ? em.find(Charge, { stripeInvoiceId: { $in: ids } }, { orderBy: { createdAt: 'asc', id: 'asc' } })
      : Promise.resolve([] as Charge[]),
  ]);
  return {
    email: customer.email,
    invoices: page.items.map((inv) => {
      const own = charges.filter((c) => c.stripeInvoiceId === inv.stripeInvoiceId);
      const moneyBack = back.get(inv.stripeInvoiceId) ?? { refundedCents: 0, creditedCents: 0 };
      const base =
        inv.status === 'paid' ? inv.amountPaidCents : inv.status === 'open' ? inv.amountDueCents : 0;
      const creditable = Math.max(0, base - moneyBack.refundedCents - moneyBack.creditedCents);
      // What a credit note already gave back is not offered again as a refund of the charge.
      const refundable = Math.min(
        own
          .filter((c) => c.paid && c.status === 'succeeded')
          .reduce((sum, c) => sum + Math.max(0, c.amountCents - c.amountRefundedCents), 0),
        inv.status === 'paid' ? creditable : 0,
      );
      return {
        invoice: inv,
        refundedCents: moneyBack.refundedCents,
        creditedCents: moneyBack.creditedCents,
        refundableCents: refundable,
        creditableCents: creditable,
        charges: own,
      };
    }),
    nextCursor: page.nextCursor,
  };
}

const utcDayOf = (d: Date) => d.toISOString().slice(0, 10);

/**
 * A customer's usage in their current period (the subscription's, else the calendar month): units per
 * day and type as the daily counters hold them, the period's billable and BYOK totals from the event
 * ledger, and the included credits arithmetic of their plan. Three statements, one request.
 */
export async function customerUsage(em: EntityManager, email: string, now: Date) {
  const customer = await customerByEmail(em, email);
  const sub = await currentSubscription(em, customer);
  const live = sub && !isFinal(sub.status) ? sub : null;
  const monthStart = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
  let start = live?.currentPeriodStart ?? live?.trialStart ?? monthStart;
  let end =
    live?.currentPeriodEnd ??
    live?.trialEnd ??
    new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1));
  // A period that has not started or already ended (a stale mirror) falls back to the calendar month.
  if (start > now || end <= start) {
    start = monthStart;
    end = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1));
  }
  const sql = sqlFor(em);
  const firstDay = utcDayOf(start);
  const lastDay = utcDayOf(new Date(Math.min(now.getTime(), end.getTime() - 1)));
  const [daily, ledger] = await Promise.all([
    dailyUsageByType(sql, customer.id, firstDay, lastDay),
    periodUsageByType(sql, customer.id, start, end),
  ]);
  const types = [...new Set([...DEFAULT_USAGE_TYPES, ...daily.map((r) => r.type)])];
  const zero = () => Object.fromEntries(types.map((t) => [t, 0])) as Record<string, number>;
  const byDay = new Map<string, Record<string, number>>();
  for (let t = Date.parse(`${firstDay}T00:00:00Z`); utcDayOf(new Date(t)) <= lastDay; t += DAY_MS) {
    byDay.set(utcDayOf(new Date(t)), zero());
  }
  for (const r of daily) {
    const row = byDay.get(r.day);
    if (row) row[r.type] = (row[r.type] ?? 0) + num(r.n);
  }
  const billable = zero();
  const byok = zero();
  for (const r of ledger) {
    const into = r.byok === true || r.byok === 1 ? byok : billable;
    into[r.type] = (into[r.type] ?? 0) + num(r.n);
  }
  const total = (b: Record<string, number>) => Object.values(b).reduce((a, n) => a + n, 0);
  const plan = live?.plan ?? null;
  const credits = creditsFor({
    tier: live?.tier ?? 'free',
    includedCredits: includedCreditsPerPeriod(plan?.includedCredits ?? 0, live?.interval ?? 'month'),
    overagePer1kCents: plan?.overagePer1kCents ?? 0,
    // Types the plan's rate card prices by their own lines are outside the credit pool.
    used:
      total(billable) - [...unpooledTypes(plan?.rateCard ?? [])].reduce((n, t) => n + (billable[t] ?? 0), 0),
    prepaid: await prepaidDrawnSince(sql, customer.id, start),
  });
  return {
    email: customer.email,
    tier: live?.tier ?? null,
    periodStart: start,
    periodEnd: end,
    types,
    byDay: [...byDay].map(([day, counts]) => ({ day, counts, total: total(counts) })),
    billableByType: billable,
    byokByType: byok,
    credits,
    currency: live?.currency ?? plan?.currency ?? 'usd',
  };
}

/** The customer's stored provider keys as hints: the provider, the last characters, when tested. */
export async function customerProviderKeys(em: EntityManager, email: string) {
  const customer = await customerByEmail(em, email);
  const rows = await em.find(ProviderKey, { customer }, { orderBy: { provider: 'asc' } });
  return { email: customer.email, keys: rows };
}

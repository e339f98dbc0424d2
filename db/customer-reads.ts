import type { EntityManager } from '@mikro-orm/core';
import { FINAL_STATUSES, type SubscriptionStatus } from '../domain/subscription-status';
import { perDatabase } from './per-database';
import { readBool, readDate, sqlFor, sqlList, type Sql } from './raw-sql';
import { rowUsageTermsIn } from './plan-prices';
import type { Entitlement } from '../domain/entitlements';
import type { RateLine } from '../domain/rate-card';
import type { Subscription } from './entities';

/**
 * The customer reads' queries in plain SQL with typed row mapping: no entity manager fork, no identity
 * map, no hydration. The dashboard and the AI gateway make these on every page, so they skip the ORM as
 * the usage hot path does; what they return are plain rows the use cases map to the answer.
 */

/**
 * A caller's customer id by their identity's subject, cached per database: a customer row is created once
 * and keeps its id and user id, so a hit never goes stale. Misses are not cached, so a customer created
 * later is found on the next read.
 */
const customerIdsOf = perDatabase(() => new Map<string, string>());
const CACHED_CUSTOMERS = 50_000;

export async function customerIdOf(em: EntityManager, userId: string): Promise<string | null> {
  const cache = customerIdsOf(em);
  const hit = cache.get(userId);
  if (hit !== undefined) return hit;
  const [row] = await sqlFor(em).read<{ id: string }>('select id from customers where user_id = ?', [userId]);
  if (!row) return null;
  if (cache.size >= CACHED_CUSTOMERS) cache.clear();
  cache.set(userId, row.id);
  return row.id;
}

/** The invoice fields a customer's invoice list shows. */
export interface InvoiceRow {
  id: string;
  stripeInvoiceId: string;
  number: string | null;
  status: string;
  currency: string;
  totalCents: number;
  /** What discounts took off it. */
  discountCents: number;
  /** Tax added on top of it, and whether it was reverse-charged instead. */
  taxCents: number;
  reverseCharge: boolean;
  amountDueCents: number;
  amountPaidCents: number;
  periodStart: Date | null;
  periodEnd: Date | null;
  dueDate: Date | null;
  paidAt: Date | null;
  hostedInvoiceUrl: string | null;
  invoicePdf: string | null;
  createdAt: Date;
}

const maybeDate = (v: unknown): Date | null => (v == null ? null : readDate(v));

/** An invoice with what went back on it: refunded on its charges, credited by its credit notes not void. */
export interface InvoiceWithMoneyBackRow extends InvoiceRow {
  refundedCents: number;
  creditedCents: number;
}

/**
 * One customer's invoices, newest first (created, then id, descending), `limit` of them strictly after
 * the (created, id) position `after` when given, each with the sums refundsOfInvoices and
 * creditNotesOfInvoices give, in the same statement: one round trip for the whole page.
 */
export async function invoicesOfCustomer(
  em: EntityManager,
  customerId: string,
  opts: { limit: number; after?: { createdAt: Date; id: string } },
): Promise<InvoiceWithMoneyBackRow[]> {
  const sql = sqlFor(em);
  const params: unknown[] = [customerId];
  let seek = '';
  if (opts.after) {
    const at = sql.date(opts.after.createdAt);
    seek = ' and (i.created_at < ? or (i.created_at = ? and i.id < ?))';
    params.push(at, at, opts.after.id);
  }
  params.push(opts.limit);
  const rows = await sql.read<Record<string, unknown>>(
    `select i.id, i.stripe_invoice_id, i.number, i.status, i.currency, i.total_cents, i.discount_cents, i.tax_cents, i.reverse_charge, i.amount_due_cents,
            i.amount_paid_cents, i.period_start, i.period_end, i.due_date, i.paid_at, i.hosted_invoice_url,
            i.invoice_pdf, i.created_at,
            (select coalesce(sum(c.amount_refunded_cents), 0) from charges c
              where c.stripe_invoice_id = i.stripe_invoice_id and c.amount_refunded_cents > 0) as refunded_cents,
            (select coalesce(sum(n.credited_cents), 0) from credit_notes n
              where n.stripe_invoice_id = i.stripe_invoice_id and n.status <> 'void') as credited_cents
       from invoices i where i.customer_id = ?${seek} order by i.created_at desc, i.id desc limit ?`,
    params,
  );
  return rows.map((r) => ({
    id: r.id as string,
    stripeInvoiceId: r.stripe_invoice_id as string,
    number: (r.number as string | null) ?? null,
    status: r.status as string,
    currency: r.currency as string,
    totalCents: Number(r.total_cents),
    discountCents: Number(r.discount_cents ?? 0),
    taxCents: Number(r.tax_cents ?? 0),
    reverseCharge: readBool(r.reverse_charge),
    amountDueCents: Number(r.amount_due_cents),
    amountPaidCents: Number(r.amount_paid_cents),
    periodStart: maybeDate(r.period_start),
    periodEnd: maybeDate(r.period_end),
    dueDate: maybeDate(r.due_date),
    paidAt: maybeDate(r.paid_at),
    hostedInvoiceUrl: (r.hosted_invoice_url as string | null) ?? null,
    invoicePdf: (r.invoice_pdf as string | null) ?? null,
    createdAt: readDate(r.created_at),
    refundedCents: Number(r.refunded_cents),
    creditedCents: Number(r.credited_cents),
  }));
}

/** Refunded amounts of the charges of these invoices (by Stripe id), one row per charge with any. */
export function refundsOfInvoices(
  sql: Sql,
  stripeInvoiceIds: string[],
): Promise<{ stripeInvoiceId: string; cents: number }[]> {
  return sumRows(
    sql,
    `select stripe_invoice_id, amount_refunded_cents as cents from charges
      where stripe_invoice_id in (#) and amount_refunded_cents > 0`,
    stripeInvoiceIds,
  );
}

/** Credited amounts of the credit notes of these invoices that are not void, one row per credit note. */
export function creditNotesOfInvoices(
  sql: Sql,
  stripeInvoiceIds: string[],
): Promise<{ stripeInvoiceId: string; cents: number }[]> {
  return sumRows(
    sql,
    `select stripe_invoice_id, credited_cents as cents from credit_notes
      where stripe_invoice_id in (#) and status <> 'void'`,
    stripeInvoiceIds,
  );
}

async function sumRows(sql: Sql, query: string, ids: string[]) {
  if (ids.length === 0) return [];
  const rows = await sql.read<{ stripe_invoice_id: string; cents: unknown }>(
    query.replace('#', ids.map(() => '?').join(', ')),
    ids,
  );
  return rows.map((r) => ({ stripeInvoiceId: r.stripe_invoice_id, cents: Number(r.cents) }));
}

/** The card fields a customer's payment method list shows. */
export interface PaymentMethodRow {
  stripePaymentMethodId: string;
  type: string;
  brand: string | null;
  last4: string | null;
  expMonth: number | null;
  expYear: number | null;
  isDefault: boolean;
  createdAt: Date;
}

const maybeNumber = (v: unknown): number | null => (v == null ? null : Number(v));

/** One customer's payment methods still attached, newest first. */
export async function paymentMethodsOfCustomer(
  em: EntityManager,
  customerId: string,
): Promise<PaymentMethodRow[]> {
  const rows = await sqlFor(em).read<Record<string, unknown>>(
    `select stripe_payment_method_id, type, brand, last4, exp_month, exp_year, is_default, created_at
       from payment_methods where customer_id = ? and detached_at is null order by created_at desc`,
    [customerId],
  );
  return rows.map((r) => ({
    stripePaymentMethodId: r.stripe_payment_method_id as string,
    type: r.type as string,
    brand: (r.brand as string | null) ?? null,
    last4: (r.last4 as string | null) ?? null,
    expMonth: maybeNumber(r.exp_month),
    expYear: maybeNumber(r.exp_year),
    isDefault: Boolean(r.is_default),
    createdAt: readDate(r.created_at),
  }));
}

/** A customer as the reads name it: our id, the identity provider's id and the email. */
export interface CustomerRef {
  id: string;
  userId: string | null;
  email: string;
}

/** A customer named by email, or by user id (the identity provider's id, or our customer id). */
export async function customerByRef(
  em: EntityManager,
  ref: { email?: string; userId?: string },
): Promise<CustomerRef | null> {
  const sql = sqlFor(em);
  const rows =
    ref.email !== undefined
      ? await sql.read<Record<string, unknown>>('select id, user_id, email from customers where email = ?', [
          ref.email,
        ])
      : ref.userId !== undefined
        ? // Two lookups, each on its own unique key, rather than `user_id = ? or id = ?`: PostgreSQL plans
          // that OR as a scan of the whole table while it is small, and may keep the plan as it grows.
          await sql.read<Record<string, unknown>>(
            `select id, user_id, email from (
               select id, user_id, email, 0 as by_id from customers where user_id = ?
               union all
               select id, user_id, email, 1 as by_id from customers where id = ?
             ) c order by by_id limit 1`,
            [ref.userId, ref.userId],
          )
        : [];
  const r = rows[0];
  return r
    ? { id: r.id as string, userId: (r.user_id as string | null) ?? null, email: r.email as string }
    : null;
}

/** What a plan grants and charges, as access checks and usage views read it. */
export interface PlanTermsRow {
  id: string;
  code: string;
  services: string[];
  features: string[];
  dailyApiCalls: number | null;
  includedCredits: number;
  overagePer1kCents: number;
  /** Usage beyond included credits must be prepaid (refused at a zero balance, never billed). */
  prepaidOnly: boolean;
  alertDefaults: { includedPercent?: number; balanceBelow?: number; overageCents?: number };
  /** Its explicit entitlements (domain/entitlements.ts). */
  entitlements: Entitlement[];
  /** Its rate card's own lines (domain/rate-card.ts); the pool line comes from the fields above. */
  rateCard: RateLine[];
}

/** A customer's live subscription with its plan's terms. */
export interface LiveSubscriptionRow {
  id: string;
  tier: string;
  status: SubscriptionStatus;
  interval: 'month' | 'year';
  amountCents: number;
  currency: string;
  stripeSubscriptionId: string | null;
  currentPeriodStart: Date | null;
  currentPeriodEnd: Date | null;
  trialStart: Date | null;
  trialEnd: Date | null;
  cancelAtPeriodEnd: boolean;
  pendingTier: string | null;
  pendingInterval: 'month' | 'year' | null;
  pendingAmountCents: number | null;
  pendingEffectiveAt: Date | null;
  createdAt: Date;
  /** The discount Stripe applies to its invoices, as the mirror keeps it. */
  discount: Subscription['discount'];
  plan: PlanTermsRow;
}

/** A JSON column: PostgreSQL's driver parses it, SQLite hands back the text. */
const jsonList = (v: unknown): string[] =>
  typeof v === 'string' ? (JSON.parse(v) as string[]) : (v as string[]);

/** The customer's current subscription (the newest that has not ended) and its plan, or null. */
export async function liveSubscriptionOf(
  em: EntityManager,
  customerId: string,
): Promise<LiveSubscriptionRow | null> {
  const [r] = await sqlFor(em).read<Record<string, unknown>>(
    `select s.id, s.tier, s.status, s.interval, s.amount_cents, s.currency, s.stripe_subscription_id,
            s.current_period_start, s.current_period_end, s.trial_start, s.trial_end, s.cancel_at_period_end,
            s.pending_tier, s.pending_interval, s.pending_amount_cents, s.pending_effective_at, s.created_at, s.discount,
            p.id as plan_id, p.code as plan_code, p.services, p.features, p.daily_api_calls, p.included_credits,
            p.overage_per1k_cents, p.prepaid_only, p.alert_defaults, p.entitlements,
            p.rate_card, p.currency as plan_currency, p.currency_prices
       from subscriptions s join plans p on p.id = s.plan_id
      where s.customer_id = ? and s.status not in ${sqlList(FINAL_STATUSES)}
      order by s.created_at desc limit 1`,
    [customerId],
  );
  if (!r) return null;
  // Usage is priced in the subscription's currency, whichever the plan's own is.
  const usage = rowUsageTermsIn(r, r.currency as string);
  return {
    id: r.id as string,
    tier: r.tier as string,
    status: r.status as SubscriptionStatus,
    interval: r.interval as 'month' | 'year',
    amountCents: Number(r.amount_cents),
    currency: r.currency as string,
    stripeSubscriptionId: (r.stripe_subscription_id as string | null) ?? null,
    currentPeriodStart: maybeDate(r.current_period_start),
    currentPeriodEnd: maybeDate(r.current_period_end),
    trialStart: maybeDate(r.trial_start),
    trialEnd: maybeDate(r.trial_end),
    cancelAtPeriodEnd: Boolean(r.cancel_at_period_end),
    pendingTier: (r.pending_tier as string | null) ?? null,
    pendingInterval: (r.pending_interval as 'month' | 'year' | null) ?? null,
    pendingAmountCents: maybeNumber(r.pending_amount_cents),
    pendingEffectiveAt: maybeDate(r.pending_effective_at),
    createdAt: readDate(r.created_at),
    discount: (typeof r.discount === 'string'
      ? JSON.parse(r.discount)
      : (r.discount ?? null)) as LiveSubscriptionRow['discount'],
    plan: {
      id: r.plan_id as string,
      code: r.plan_code as string,
      services: jsonList(r.services),
      features: jsonList(r.features),
      dailyApiCalls: maybeNumber(r.daily_api_calls),
      includedCredits: Number(r.included_credits),
      overagePer1kCents: usage.overagePer1kCents,
      prepaidOnly: Boolean(r.prepaid_only),
      alertDefaults: (typeof r.alert_defaults === 'string'
        ? JSON.parse(r.alert_defaults)
        : (r.alert_defaults ?? {})) as PlanTermsRow['alertDefaults'],
      entitlements: (typeof r.entitlements === 'string'
        ? JSON.parse(r.entitlements)
        : (r.entitlements ?? [])) as Entitlement[],
      rateCard: usage.rateCard,
    },
  };
}

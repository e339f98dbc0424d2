import type { EntityManager } from '@mikro-orm/core';
import { readDate, sqlFor, type Sql } from './raw-sql';

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
const customerIds = new WeakMap<object, Map<string, string>>();
const CACHED_CUSTOMERS = 50_000;

export async function customerIdOf(em: EntityManager, userId: string): Promise<string | null> {
  const driver = em.getDriver();
  let cache = customerIds.get(driver);
  if (!cache) customerIds.set(driver, (cache = new Map()));
  const hit = cache.get(userId);
  if (hit !== undefined) return hit;
  const [row] = await sqlFor(em).run<{ id: string }>('select id from customers where user_id = ?', [userId]);
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

/**
 * One customer's invoices, newest first (created, then id, descending), `limit` of them strictly after
 * the (created, id) position `after` when given.
 */
export async function invoicesOfCustomer(
  em: EntityManager,
  customerId: string,
  opts: { limit: number; after?: { createdAt: Date; id: string } },
): Promise<InvoiceRow[]> {
  const sql = sqlFor(em);
  const params: unknown[] = [customerId];
  let seek = '';
  if (opts.after) {
    const at = sql.date(opts.after.createdAt);
    seek = ' and (created_at < ? or (created_at = ? and id < ?))';
    params.push(at, at, opts.after.id);
  }
  params.push(opts.limit);
  const rows = await sql.run<Record<string, unknown>>(
    `select id, stripe_invoice_id, number, status, currency, total_cents, amount_due_cents, amount_paid_cents,
            period_start, period_end, due_date, paid_at, hosted_invoice_url, invoice_pdf, created_at
       from invoices where customer_id = ?${seek} order by created_at desc, id desc limit ?`,
    params,
  );
  return rows.map((r) => ({
    id: r.id as string,
    stripeInvoiceId: r.stripe_invoice_id as string,
    number: (r.number as string | null) ?? null,
    status: r.status as string,
    currency: r.currency as string,
    totalCents: Number(r.total_cents),
    amountDueCents: Number(r.amount_due_cents),
    amountPaidCents: Number(r.amount_paid_cents),
    periodStart: maybeDate(r.period_start),
    periodEnd: maybeDate(r.period_end),
    dueDate: maybeDate(r.due_date),
    paidAt: maybeDate(r.paid_at),
    hostedInvoiceUrl: (r.hosted_invoice_url as string | null) ?? null,
    invoicePdf: (r.invoice_pdf as string | null) ?? null,
    createdAt: readDate(r.created_at),
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
export function creditsOfInvoices(
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
  const rows = await sql.run<{ stripe_invoice_id: string; cents: unknown }>(
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
  const rows = await sqlFor(em).run<Record<string, unknown>>(
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

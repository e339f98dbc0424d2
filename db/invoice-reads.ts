import type { EntityManager } from '@mikro-orm/core';
import { readBool, readDate, sqlFor, type Sql } from './raw-sql';

/**
 * A customer's invoices with what went back on them, in plain SQL with typed row mapping: the invoice
 * list reads a page in one round trip.
 */

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

import type { EntityManager } from '@mikro-orm/core';
import type Stripe from 'stripe';
import { newId } from '../ids';
import { subscriptionIdOfInvoice } from '../../integrations/stripe/snapshots';
import { expandableId } from '../../integrations/stripe/expandable-id';
import { subscriptionIdOfForeign } from '../../integrations/stripe/subscription-owner';
import { recordBillingEvent } from '../billing-events';
import { sqlFor, updateWhenChanged, type Sql } from '../raw-sql';
import { invoiceObject, type InvoiceFields } from '../../integrations/webhooks/objects';
import { date, lockInvoiceLinks } from './shared';
import { systemClock, type Clock } from '../../domain/clock';
import { recordRedemption } from './subscriptions';
import { isBehind, noticeOf, progressOfInvoice, type InvoiceProgress } from '../../domain/invoice-progress';

/** Where the engine's billing routes live, which the invoice objects of outgoing webhooks name. */
const BILLING_PATH = '/api/v1/billing';

/** The mirror's row as it stood before this copy: what decides whether to write and what to announce. */
interface StoredInvoice {
  id: string;
  subscriptionId: string | null;
  progress: InvoiceProgress;
}

/** The row's columns a copy of the invoice sets, beside its ids and links. */
function columnsOf(inv: Stripe.Invoice): Omit<InvoiceFields, 'stripeInvoiceId' | 'createdAt'> & {
  subtotalCents: number;
  billingReason: string | null;
  attemptCount: number;
} {
  return {
    number: inv.number ?? null,
    status: inv.status ?? 'draft',
    currency: inv.currency,
    subtotalCents: inv.subtotal,
    totalCents: inv.total,
    discountCents: (inv.total_discount_amounts ?? []).reduce((sum, d) => sum + d.amount, 0),
    taxCents: (inv.total_taxes ?? []).reduce((sum, t) => sum + t.amount, 0),
    reverseCharge: (inv.total_taxes ?? []).some((t) => t.taxability_reason === 'reverse_charge'),
    amountDueCents: inv.amount_due,
    amountPaidCents: inv.amount_paid,
    billingReason: inv.billing_reason ?? null,
    attemptCount: inv.attempt_count,
    periodStart: date(inv.period_start),
    periodEnd: date(inv.period_end),
    dueDate: date(inv.due_date),
    paidAt: date(inv.status_transitions?.paid_at),
    hostedInvoiceUrl: inv.hosted_invoice_url ?? null,
    invoicePdf: inv.invoice_pdf ?? null,
  };
}

/** Records what this copy announces (`noticeOf`), once: the dedupe key names the invoice and the attempt. */
async function recordInvoiceEvents(
  sql: Sql,
  customerId: string,
  row: InvoiceFields & { attemptCount: number },
  before: InvoiceProgress | null,
  clock: Clock,
): Promise<void> {
  const notice = noticeOf(
    { status: row.status, attemptCount: row.attemptCount, amountPaidCents: row.amountPaidCents },
    before,
  );
  if (!notice) return;
  await recordBillingEvent(sql, {
    customerId,
    type: notice.type,
    payload: { ...invoiceObject(row, BILLING_PATH), attempt_count: row.attemptCount },
    dedupeKey:
      notice.type === 'invoice.paid'
        ? `${notice.type}:${row.stripeInvoiceId}`
        : `${notice.type}:${row.stripeInvoiceId}:${notice.attempt}`,
    at: clock.now(),
  });
}

/**
 * The address and tax ids Stripe taxed by: the customer's as of their newest invoice that carries them. An
 * older invoice mirrored late (a redelivered event) leaves a newer address alone.
 */
async function recordTaxDetails(
  sql: Sql,
  customerId: string,
  inv: Stripe.Invoice,
  clock: Clock,
): Promise<void> {
  const a = inv.customer_address;
  if (!a) return;
  const newer = await sql.run(
    'select 1 as x from invoices where customer_id = ? and created_at > ? limit 1',
    [customerId, sql.date(date(inv.created) ?? new Date(0))],
  );
  if (newer.length > 0) return;
  const address = {
    country: a.country ?? null,
    line1: a.line1 ?? null,
    line2: a.line2 ?? null,
    city: a.city ?? null,
    postalCode: a.postal_code ?? null,
    state: a.state ?? null,
  };
  const taxIds = (inv.customer_tax_ids ?? []).map((t) => ({ type: t.type, value: t.value ?? '' }));
  await sql.run('update customers set billing_address = ?, tax_ids = ?, updated_at = ? where id = ?', [
    JSON.stringify(address),
    JSON.stringify(taxIds),
    sql.date(clock.now()),
    customerId,
  ]);
}

/**
 * The subscription an invoice bills. A subscription's first invoice can be mirrored before the subscription's
 * workflow has recorded its Stripe id (the invoice's own run reads it at once), so the engine's id is tried
 * too: the one its checkout put in the metadata Stripe copies onto the invoice, or the one a subscription
 * made outside the engine is given.
 */
async function subscriptionOfInvoice(
  sql: Sql,
  inv: Stripe.Invoice,
  customerId: string,
): Promise<string | null> {
  const stripeSubId = subscriptionIdOfInvoice(inv);
  if (!stripeSubId) return null;
  const linked = await sql.run<{ id: string }>(
    'select id from subscriptions where stripe_subscription_id = ?',
    [stripeSubId],
  );
  if (linked[0]) return linked[0].id;
  const ours = (inv.parent?.subscription_details?.metadata ?? {}) as Record<string, string>;
  const candidates = [ours.subscription_id, subscriptionIdOfForeign(stripeSubId)].filter(
    (id): id is string => typeof id === 'string' && id.length > 0,
  );
  if (candidates.length === 0) return null;
  const rows = await sql.run<{ id: string; customer_id: string; stripe_subscription_id: string | null }>(
    `select id, customer_id, stripe_subscription_id from subscriptions where id in (${candidates.map(() => '?').join(', ')})`,
    candidates,
  );
  // Another customer's row, or another Stripe subscription's, is not this invoice's whatever its metadata says.
  const own = rows.find(
    (r) =>
      r.customer_id === customerId && (!r.stripe_subscription_id || r.stripe_subscription_id === stripeSubId),
  );
  return own?.id ?? null;
}

/**
 * The mirror's row, held for the transaction on PostgreSQL (SQLite has one writer), so a slower write of an
 * older copy cannot land over a newer one.
 */
async function storedInvoice(sql: Sql, stripeInvoiceId: string): Promise<StoredInvoice | null> {
  const rows = await sql.run<{
    id: string;
    subscription_id: string | null;
    status: string;
    attempt_count: number | null;
    amount_paid_cents: number | null;
  }>(
    `select id, subscription_id, status, attempt_count, amount_paid_cents from invoices where stripe_invoice_id = ?${
      sql.postgres ? ' for update' : ''
    }`,
    [stripeInvoiceId],
  );
  const r = rows[0];
  if (!r) return null;
  return {
    id: r.id,
    subscriptionId: r.subscription_id,
    progress: {
      status: r.status,
      attemptCount: r.attempt_count ?? 0,
      amountPaidCents: r.amount_paid_cents ?? 0,
    },
  };
}

const COLUMNS = [
  'number',
  'status',
  'currency',
  'subtotal_cents',
  'total_cents',
  'discount_cents',
  'tax_cents',
  'reverse_charge',
  'amount_due_cents',
  'amount_paid_cents',
  'billing_reason',
  'attempt_count',
  'period_start',
  'period_end',
  'due_date',
  'paid_at',
  'hosted_invoice_url',
  'invoice_pdf',
  'subscription_id',
  'updated_at',
] as const;

/** The mirror's row as it now is, as one identifies it to its callers. */
export interface MirroredInvoice {
  id: string;
}

/**
 * Upserts the invoice mirror by Stripe id; the customer must already be mirrored. The invoice may come from
 * a read or from an event's payload, in any order and from several processes at once: a copy that shows the
 * invoice at an earlier point than the mirror (domain/invoice-progress.ts) is not written. Returns the row,
 * or null when the customer is not mirrored. In SQL rather than through entities: the intake writes every
 * renewal's invoice three times from the events' payloads, and the entities' bookkeeping was most of the
 * cost (docs/benchmarks.md).
 */
export async function upsertInvoice(
  em: EntityManager,
  inv: Stripe.Invoice,
  /** Where the time of the mirror's own dates comes from. */
  clock: Clock = systemClock,
): Promise<MirroredInvoice | null> {
  const stripeCustomerId = expandableId(inv.customer);
  if (!stripeCustomerId) return null;
  return em.transactional(async (tx) => {
    const sql = sqlFor(tx);
    const customer = await sql.run<{ id: string }>('select id from customers where stripe_customer_id = ?', [
      stripeCustomerId,
    ]);
    return customer[0] ? writeInvoice(tx, sql, inv, customer[0].id, clock) : null;
  });
}

async function writeInvoice(
  em: EntityManager,
  sql: Sql,
  inv: Stripe.Invoice,
  customerId: string,
  clock: Clock,
): Promise<MirroredInvoice> {
  const stripeInvoiceId = inv.id as string;
  const cols = columnsOf(inv);
  // A charge or credit note mirrored before its invoice points at it from now on (below). A draft has
  // neither: Stripe charges an invoice, and credits it, only once it is finalized. The lock comes before
  // any row, as in a charge's write: that write holds it while its row checks the invoice's (a foreign
  // key) and moves the customer's invoice list version (a trigger), rows this write holds until it commits.
  // Taken after them, each transaction waited on the other until PostgreSQL killed one.
  const linksCharges = cols.status !== 'draft';
  if (linksCharges) await lockInvoiceLinks(sql, stripeInvoiceId);
  let stored = await storedInvoice(sql, stripeInvoiceId);
  if (stored && isBehind(progressOfInvoice(inv), stored.progress)) return { id: stored.id };
  const subscriptionId = await subscriptionOfInvoice(sql, inv, customerId);
  const createdAt = date(inv.created) ?? clock.now();
  const values = (link: string | null) => [
    cols.number,
    cols.status,
    cols.currency,
    cols.subtotalCents,
    cols.totalCents,
    cols.discountCents,
    cols.taxCents,
    sql.bool(cols.reverseCharge),
    cols.amountDueCents,
    cols.amountPaidCents,
    cols.billingReason,
    cols.attemptCount,
    ...[cols.periodStart, cols.periodEnd, cols.dueDate, cols.paidAt].map((d) => (d ? sql.date(d) : null)),
    cols.hostedInvoiceUrl,
    cols.invoicePdf,
    link,
    sql.date(clock.now()),
  ];
  await recordTaxDetails(sql, customerId, inv, clock);
  let id: string | undefined;
  if (!stored) {
    const newRowId = newId('inv');
    const inserted = await sql.run(
      `insert into invoices (id, stripe_invoice_id, customer_id, created_at, ${COLUMNS.join(', ')})
       values (?, ?, ?, ?, ${COLUMNS.map(() => '?').join(', ')})
       on conflict (stripe_invoice_id) do nothing returning id`,
      [newRowId, stripeInvoiceId, customerId, sql.date(createdAt), ...values(subscriptionId)],
    );
    if (inserted.length > 0) id = newRowId;
    else {
      // Another process inserted it since: this copy updates that row, unless it is behind it.
      stored = await storedInvoice(sql, stripeInvoiceId);
      if (!stored) throw new Error(`invoice ${stripeInvoiceId} was neither inserted nor found`);
      if (isBehind(progressOfInvoice(inv), stored.progress)) return { id: stored.id };
    }
  }
  if (stored) {
    id = stored.id;
    // A link once made stays: a copy read before the subscription was recorded finds none. A copy the row
    // already shows writes nothing: its `updated_at` and the customer's invoice list version (a trigger) move
    // only when the invoice did.
    const next = values(subscriptionId ?? stored.subscriptionId);
    const columns = COLUMNS.map((c, i) => [c, next[i]] as const);
    await updateWhenChanged(
      sql,
      'invoices',
      id,
      columns.filter(([c]) => c !== 'updated_at'),
      columns.filter(([c]) => c === 'updated_at'),
    );
  }
  const rowId = id as string;
  // In the same transaction as the mirror's write: Stripe's state is already true, and the event is named
  // after the invoice and the attempt, so a retry after a crash adds it once.
  await recordInvoiceEvents(
    sql,
    customerId,
    { ...cols, stripeInvoiceId, createdAt },
    stored?.progress ?? null,
    clock,
  );
  // Read with `expand: ['discounts']`, an invoice names the coupons it applied.
  if (subscriptionId)
    for (const d of inv.discounts ?? []) {
      if (typeof d !== 'object' || d === null || !('source' in d)) continue;
      const coupon = d.source?.coupon;
      const couponId = typeof coupon === 'string' ? coupon : coupon?.id;
      if (couponId)
        await recordRedemption(em, {
          couponId,
          stripePromotionCodeId: expandableId(d.promotion_code) ?? null,
          customerId,
          subscriptionId,
          at: date(d.start) ?? clock.now(),
        });
    }
  if (linksCharges) {
    for (const table of ['charges', 'credit_notes'])
      await sql.run(`update ${table} set invoice_id = ? where stripe_invoice_id = ? and invoice_id is null`, [
        rowId,
        stripeInvoiceId,
      ]);
  }
  return { id: rowId };
}

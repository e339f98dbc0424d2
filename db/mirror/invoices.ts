import type { EntityManager } from '@mikro-orm/core';
import type Stripe from 'stripe';
import { newId } from '../ids';
import { subscriptionIdOfInvoice } from '../../integrations/stripe/snapshots';
import { expandableId } from '../../integrations/stripe/expandable-id';
import { subscriptionIdOfForeign } from '../../integrations/stripe/subscription-owner';
import { recordBillingEvent } from '../billing-events';
import { inTurn, updateWhenChanged, type Sql } from '../raw-sql';
import { invoiceObject, type InvoiceFields } from '../../integrations/webhooks/objects';
import { date, inMirrorTransaction, lockInvoiceLinks } from './shared';
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
function recordTaxDetails(sql: Sql, customerId: string, inv: Stripe.Invoice, clock: Clock): Promise<unknown> {
  const a = inv.customer_address;
  if (!a) return Promise.resolve();
  const address = {
    country: a.country ?? null,
    line1: a.line1 ?? null,
    line2: a.line2 ?? null,
    city: a.city ?? null,
    postalCode: a.postal_code ?? null,
    state: a.state ?? null,
  };
  const taxIds = (inv.customer_tax_ids ?? []).map((t) => ({ type: t.type, value: t.value ?? '' }));
  return sql.run(
    `update customers set billing_address = ?, tax_ids = ?, updated_at = ?
      where id = ? and not exists (select 1 from invoices where customer_id = ? and created_at > ?)`,
    [
      JSON.stringify(address),
      JSON.stringify(taxIds),
      sql.date(clock.now()),
      customerId,
      customerId,
      sql.date(date(inv.created) ?? new Date(0)),
    ],
  );
}

/** The subscription whose Stripe id the invoice names, once its workflow has recorded that id. */
function linkedSubscription(sql: Sql, stripeSubId: string | null): Promise<{ id: string }[]> {
  return stripeSubId
    ? sql.run<{ id: string }>('select id from subscriptions where stripe_subscription_id = ?', [stripeSubId])
    : Promise.resolve([]);
}

/**
 * The subscription an invoice bills when no subscription has its Stripe id yet: a subscription's first
 * invoice can be mirrored before the subscription's workflow has recorded it (the invoice's own run reads it
 * at once), so the engine's id is tried: the one its checkout put in the metadata Stripe copies onto the
 * invoice, or the one a subscription made outside the engine is given.
 */
async function unlinkedSubscription(
  sql: Sql,
  inv: Stripe.Invoice,
  stripeSubId: string,
  customerId: string,
): Promise<string | null> {
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

/** The coupons an invoice read with `expand: ['discounts']` names; a payload's discounts are ids alone. */
function redemptionsOf(
  inv: Stripe.Invoice,
  clock: Clock,
): { couponId: string; stripePromotionCodeId: string | null; at: Date }[] {
  return (inv.discounts ?? []).flatMap((d) => {
    if (typeof d !== 'object' || d === null || !('source' in d)) return [];
    const coupon = d.source?.coupon;
    const couponId = typeof coupon === 'string' ? coupon : coupon?.id;
    return couponId
      ? [
          {
            couponId,
            stripePromotionCodeId: expandableId(d.promotion_code) ?? null,
            at: date(d.start) ?? clock.now(),
          },
        ]
      : [];
  });
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
 * or null when the customer is not mirrored. In SQL rather than through entities, its statements in two or
 * three round trips on PostgreSQL (`inMirrorTransaction`): the intake writes every renewal's invoice three
 * times from the events' payloads (docs/benchmarks.md).
 */
export async function upsertInvoice(
  em: EntityManager,
  inv: Stripe.Invoice,
  /** Where the time of the mirror's own dates comes from. */
  clock: Clock = systemClock,
): Promise<MirroredInvoice | null> {
  const stripeCustomerId = expandableId(inv.customer);
  if (!stripeCustomerId) return null;
  const redemptions = redemptionsOf(inv, clock);
  // A redemption is written through the ORM, which only the ORM's transaction has.
  return inMirrorTransaction(
    em,
    (sql, tx, deferred) => writeInvoice(sql, inv, stripeCustomerId, clock, deferred, tx, redemptions),
    redemptions.length === 0,
  );
}

async function writeInvoice(
  sql: Sql,
  inv: Stripe.Invoice,
  stripeCustomerId: string,
  clock: Clock,
  deferred: (writes: Promise<unknown>) => void,
  em: EntityManager | null,
  redemptions: ReturnType<typeof redemptionsOf>,
): Promise<MirroredInvoice | null> {
  const stripeInvoiceId = inv.id as string;
  const cols = columnsOf(inv);
  const stripeSubId = subscriptionIdOfInvoice(inv);
  // A charge or credit note mirrored before its invoice points at it from now on (below). A draft has
  // neither: Stripe charges an invoice, and credits it, only once it is finalized. The lock comes before
  // any row, as in a charge's write: that write holds it while its row checks the invoice's (a foreign
  // key) and moves the customer's invoice list version (a trigger), rows this write holds until it commits.
  // Taken after them, each transaction waited on the other until PostgreSQL killed one. The invoice's row is
  // read in a statement after the lock's, so it sees what the lock's last holder committed.
  const linksCharges = cols.status !== 'draft';
  const [, customers, found, linked] = await inTurn(
    sql,
    () => (linksCharges ? lockInvoiceLinks(sql, stripeInvoiceId) : Promise.resolve()),
    () =>
      sql.run<{ id: string }>('select id from customers where stripe_customer_id = ?', [stripeCustomerId]),
    () => storedInvoice(sql, stripeInvoiceId),
    () => linkedSubscription(sql, stripeSubId),
  );
  const customerId = customers[0]?.id;
  if (!customerId) return null;
  let stored = found;
  if (stored && isBehind(progressOfInvoice(inv), stored.progress)) return { id: stored.id };
  const subscriptionId =
    linked[0]?.id ?? (stripeSubId ? await unlinkedSubscription(sql, inv, stripeSubId, customerId) : null);
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
  let id: string | undefined;
  // The customer's row is written before the invoice's, as it always was: the order row locks are taken in.
  let taxed = false;
  if (!stored) {
    const newRowId = newId('inv');
    taxed = true;
    const [, inserted] = await inTurn(
      sql,
      () => recordTaxDetails(sql, customerId, inv, clock),
      () =>
        sql.run(
          `insert into invoices (id, stripe_invoice_id, customer_id, created_at, ${COLUMNS.join(', ')})
       values (?, ?, ?, ?, ${COLUMNS.map(() => '?').join(', ')})
       on conflict (stripe_invoice_id) do nothing returning id`,
          [newRowId, stripeInvoiceId, customerId, sql.date(createdAt), ...values(subscriptionId)],
        ),
    );
    if (inserted.length > 0) id = newRowId;
    else {
      // Another process inserted it since: this copy updates that row, unless it is behind it.
      stored = await storedInvoice(sql, stripeInvoiceId);
      if (!stored) throw new Error(`invoice ${stripeInvoiceId} was neither inserted nor found`);
      if (isBehind(progressOfInvoice(inv), stored.progress)) return { id: stored.id };
    }
  }
  const before = stored;
  const rowId = (before?.id ?? id) as string;
  // The rest depends on nothing it reads: on PostgreSQL it goes out with COMMIT.
  const rest = inTurn(
    sql,
    () => (taxed ? Promise.resolve() : recordTaxDetails(sql, customerId, inv, clock)),
    // A link once made stays: a copy read before the subscription was recorded finds none. A copy the row
    // already shows writes nothing: its `updated_at` and the customer's invoice list version (a trigger)
    // move only when the invoice did.
    () => {
      if (!before) return Promise.resolve();
      const next = values(subscriptionId ?? before.subscriptionId);
      const columns = COLUMNS.map((c, i) => [c, next[i]] as const);
      return updateWhenChanged(
        sql,
        'invoices',
        rowId,
        columns.filter(([c]) => c !== 'updated_at'),
        columns.filter(([c]) => c === 'updated_at'),
      );
    },
    // In the same transaction as the mirror's write: Stripe's state is already true, and the event is named
    // after the invoice and the attempt, so a retry after a crash adds it once.
    () =>
      recordInvoiceEvents(
        sql,
        customerId,
        { ...cols, stripeInvoiceId, createdAt },
        before?.progress ?? null,
        clock,
      ),
    ...(linksCharges
      ? ['charges', 'credit_notes'].map(
          (table) => () =>
            sql.run(`update ${table} set invoice_id = ? where stripe_invoice_id = ? and invoice_id is null`, [
              rowId,
              stripeInvoiceId,
            ]),
        )
      : []),
  );
  if (!em) {
    deferred(rest);
    return { id: rowId };
  }
  await rest;
  if (subscriptionId)
    for (const r of redemptions) await recordRedemption(em, { ...r, customerId, subscriptionId });
  return { id: rowId };
}

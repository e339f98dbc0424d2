import type { EntityManager } from '@mikro-orm/core';
import type Stripe from 'stripe';
import { newId } from '../ids';
import { expandableId } from '../../integrations/stripe/expandable-id';
import { recordBillingEvent } from '../billing-events';
import { inTurn, readBool, readDate, updateWhenChanged, type Sql } from '../raw-sql';
import { chargeObject } from '../../integrations/webhooks/objects';
import { date, inMirrorTransaction, lockInvoiceLinks } from './shared';
import { systemClock, type Clock } from '../../domain/clock';
import { mergeCharge, type ChargeCopy, type ChargeState } from '../../domain/charge-progress';

/** The mirror's row of a charge as its callers read it after a write. */
export interface MirroredCharge extends ChargeState {
  id: string;
  stripeChargeId: string;
  customerId: string;
  createdAt: Date;
}

const COLUMNS = {
  status: 'status',
  amountCents: 'amount_cents',
  currency: 'currency',
  paid: 'paid',
  amountRefundedCents: 'amount_refunded_cents',
  refunded: 'refunded',
  stripeInvoiceId: 'stripe_invoice_id',
  description: 'description',
  failureCode: 'failure_code',
  cardBrand: 'card_brand',
  cardLast4: 'card_last4',
  stripeDisputeId: 'stripe_dispute_id',
  disputeStatus: 'dispute_status',
  disputeReason: 'dispute_reason',
  disputedAmountCents: 'disputed_amount_cents',
  disputedAt: 'disputed_at',
} as const satisfies Record<keyof ChargeState, string>;
const FIELDS = Object.keys(COLUMNS) as (keyof ChargeState)[];

function copyOf(ch: Stripe.Charge, stripeInvoiceId: string | null): ChargeCopy {
  return {
    status: ch.status,
    amountCents: ch.amount,
    currency: ch.currency,
    paid: ch.paid,
    amountRefundedCents: ch.amount_refunded,
    refunded: ch.refunded,
    stripeInvoiceId,
    description: ch.description ?? null,
    failureCode: ch.failure_code ?? null,
    cardBrand: ch.payment_method_details?.card?.brand ?? null,
    cardLast4: ch.payment_method_details?.card?.last4 ?? null,
  };
}

type StoredCharge = ChargeState & { id: string; invoiceId: string | null; createdAt: Date };

/** The row, held for the transaction on PostgreSQL (SQLite has one writer). */
async function storedCharge(sql: Sql, stripeChargeId: string): Promise<StoredCharge | null> {
  const rows = await sql.run<Record<string, unknown>>(
    `select id, invoice_id, created_at, ${Object.values(COLUMNS).join(', ')} from charges where stripe_charge_id = ?${
      sql.postgres ? ' for update' : ''
    }`,
    [stripeChargeId],
  );
  const r = rows[0];
  if (!r) return null;
  const text = (v: unknown) => (v == null ? null : String(v));
  return {
    id: String(r.id),
    invoiceId: text(r.invoice_id),
    createdAt: readDate(r.created_at),
    status: String(r.status),
    amountCents: Number(r.amount_cents),
    currency: String(r.currency),
    paid: readBool(r.paid),
    amountRefundedCents: Number(r.amount_refunded_cents),
    refunded: readBool(r.refunded),
    stripeInvoiceId: text(r.stripe_invoice_id),
    description: text(r.description),
    failureCode: text(r.failure_code),
    cardBrand: text(r.card_brand),
    cardLast4: text(r.card_last4),
    stripeDisputeId: text(r.stripe_dispute_id),
    disputeStatus: text(r.dispute_status),
    disputeReason: text(r.dispute_reason),
    disputedAmountCents: Number(r.disputed_amount_cents),
    disputedAt: r.disputed_at == null ? null : readDate(r.disputed_at),
  };
}

/**
 * Upserts the charge mirror by Stripe id from a charge read from Stripe or carried by an event; the customer
 * must already be mirrored. Copies may land out of order, so nothing moves backwards (domain/charge-progress.ts).
 * Returns the row as now stored, or null when the customer is not mirrored. In SQL, as the invoice's: the
 * intake writes every renewal's charge from its event's payload.
 */
export async function upsertCharge(
  em: EntityManager,
  ch: Stripe.Charge,
  /** The charge's latest dispute, when it has one. */
  dispute?: Stripe.Dispute | null,
  /** Where the time of the mirror's own dates comes from. */
  clock: Clock = systemClock,
): Promise<MirroredCharge | null> {
  return mirrorCharge(em, ch, dispute ?? null, clock, false);
}

async function mirrorCharge(
  em: EntityManager,
  ch: Stripe.Charge,
  dispute: Stripe.Dispute | null,
  clock: Clock,
  /** This copy lost a race to insert the row once already. */
  raced: boolean,
): Promise<MirroredCharge | null> {
  const stripeCustomerId = expandableId(ch.customer);
  if (!stripeCustomerId) return null;
  // Newer API versions drop `invoice` from the charge type; Stripe and the emulator still send it.
  const stripeInvoiceId = expandableId((ch as unknown as { invoice?: unknown }).invoice) ?? null;
  const written = await inMirrorTransaction(em, async (sql, _tx, deferred) => {
    // The lock comes first, and the reads in statements after it, so they see what its last holder committed.
    const [, found, stored] = await inTurn(
      sql,
      () => (stripeInvoiceId ? lockInvoiceLinks(sql, stripeInvoiceId) : Promise.resolve()),
      () =>
        sql.run<{ id: string; invoice_id: string | null }>(
          `select c.id, (select i.id from invoices i where i.stripe_invoice_id = ?) as invoice_id
             from customers c where c.stripe_customer_id = ?`,
          [stripeInvoiceId, stripeCustomerId],
        ),
      () => storedCharge(sql, ch.id),
    );
    const customer = found[0];
    if (!customer) return null;
    const write = {
      sql,
      ch,
      customerId: customer.id,
      invoiceId: customer.invoice_id,
      stripeInvoiceId,
      clock,
    };
    return writeCharge(write, dispute, stored, deferred);
  });
  if (!written) return null;
  if (await written.inserted) return written.charge;
  // Another process inserted the row after this one read none: this copy wrote nothing, and is applied
  // again over that row, as if it had come after it.
  if (raced) throw new Error(`charge ${ch.id} was neither inserted nor found`);
  return mirrorCharge(em, ch, dispute, clock, true);
}

interface ChargeWrite {
  sql: Sql;
  ch: Stripe.Charge;
  customerId: string;
  invoiceId: string | null;
  stripeInvoiceId: string | null;
  clock: Clock;
}

/**
 * Writes the charge over the row read under the lock, its last writes handed to `deferred` (with COMMIT, on
 * PostgreSQL). A new row's insert goes with COMMIT too, so whether it was written (`inserted`) is known only
 * once the transaction has ended.
 */
async function writeCharge(
  w: ChargeWrite,
  dispute: Stripe.Dispute | null,
  stored: StoredCharge | null,
  deferred: (writes: Promise<unknown>) => void,
): Promise<{ charge: MirroredCharge; inserted: Promise<boolean> }> {
  const { sql, ch, customerId, invoiceId, stripeInvoiceId, clock } = w;
  const row = mergeCharge(
    stored,
    copyOf(ch, stripeInvoiceId),
    dispute && {
      id: dispute.id,
      status: dispute.status,
      amountCents: dispute.amount,
      reason: dispute.reason ?? null,
      createdAt: date(dispute.created),
    },
  );
  const values = FIELDS.map((f) => {
    const v = row[f];
    return v instanceof Date ? sql.date(v) : typeof v === 'boolean' ? sql.bool(v) : v;
  });
  const charge: MirroredCharge = {
    ...row,
    id: stored?.id ?? newId('chg'),
    stripeChargeId: ch.id,
    customerId,
    createdAt: stored?.createdAt ?? date(ch.created) ?? clock.now(),
  };
  // Each refunded total is published once, in the mirror's transaction (as for invoices).
  const refundedBefore = stored?.amountRefundedCents ?? 0;
  const published = () =>
    row.amountRefundedCents > refundedBefore
      ? recordBillingEvent(sql, {
          customerId,
          type: 'charge.refunded',
          payload: { ...chargeObject(charge), refunded_now_cents: row.amountRefundedCents - refundedBefore },
          dedupeKey: `charge.refunded:${ch.id}:${row.amountRefundedCents}`,
          at: clock.now(),
        })
      : Promise.resolve();
  if (stored) {
    // A copy the row already shows (a run's re-read after the payload's write) writes nothing.
    const update = () =>
      updateWhenChanged(sql, 'charges', stored.id, [
        ['invoice_id', invoiceId ?? stored.invoiceId],
        ...FIELDS.map((f, i) => [COLUMNS[f], values[i]] as const),
      ]);
    deferred(inTurn(sql, update, published));
    return { charge, inserted: Promise.resolve(true) };
  }
  const inserted = sql
    .run(
      `insert into charges (id, stripe_charge_id, customer_id, invoice_id, created_at, ${Object.values(COLUMNS).join(', ')})
       values (?, ?, ?, ?, ?, ${FIELDS.map(() => '?').join(', ')})
       on conflict (stripe_charge_id) do nothing returning id`,
      [charge.id, ch.id, customerId, invoiceId, sql.date(charge.createdAt), ...values],
    )
    .then((rows) => rows.length > 0);
  // Nothing refunded yet, the usual first copy: nothing else to write, whoever inserted the row.
  if (row.amountRefundedCents === refundedBefore) {
    deferred(inserted);
    return { charge, inserted };
  }
  // Its refund is published only by the copy that wrote the row.
  if (await inserted) deferred(published());
  return { charge, inserted: Promise.resolve(await inserted) };
}

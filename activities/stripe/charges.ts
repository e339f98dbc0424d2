import { ApplicationFailure } from '@temporalio/activity';
import type Stripe from 'stripe';
import { AuditEntry, Charge, Invoice } from '../../db/entities';
import type { ActivityDeps } from '../deps';
import { upsertCharge } from '../db/mirror';
import { stripeCall } from './errors';
import { idempotencyKey } from './idempotency';
import { requireStripe } from './require-stripe';
import { recordAudit } from '../../db/audit';

export interface ChargeSyncResult {
  mirrored: boolean;
  status: string | null;
  amountRefundedCents: number | null;
}

export interface RefundRequest {
  /** Ours (`inv_…`) or Stripe's (`in_…`). */
  invoiceId: string;
  /** Omitted: whatever is left to refund. */
  amountCents?: number;
  reason: string;
  /** The caller's key: the same key never refunds twice. */
  idempotencyKey: string;
  actorId: string;
  actorEmail: string | null;
}

export interface RefundResult {
  refundId: string;
  stripeChargeId: string;
  stripeInvoiceId: string;
  amountCents: number;
  currency: string;
  chargeAmountCents: number;
  amountRefundedCents: number;
  refunded: boolean;
}

/** Reasons Stripe itself knows; any other reason travels in the refund's metadata only. */
const STRIPE_REASONS = new Set(['duplicate', 'fraudulent', 'requested_by_customer']);

const idOf = (v: unknown): string | null =>
  typeof v === 'string' ? v : v && typeof v === 'object' && 'id' in v ? String(v.id) : null;

/** Mirroring charges from Stripe, and refunding an invoice's charge. */
export function createStripeChargeActivities(deps: ActivityDeps) {
  /**
   * Re-reads the charge from Stripe and upserts the mirror: an event says only that something changed,
   * and its payload may be older than another event already applied.
   */
  async function syncCharge(stripeChargeId: string): Promise<ChargeSyncResult> {
    const stripe = requireStripe(deps);
    const ch = await stripeCall(() => stripe.charges.retrieve(stripeChargeId));
    const row = await upsertCharge(deps.orm.em.fork(), ch);
    return {
      mirrored: row !== null,
      status: row?.status ?? null,
      amountRefundedCents: row?.amountRefundedCents ?? null,
    };
  }

  /** The invoice's paid charge: from the mirror, else as Stripe links it (charge, or its payment intent). */
  async function chargeOfInvoice(
    stripe: Stripe,
    invoiceId: string,
  ): Promise<{ charge: string; invoice: string }> {
    const em = deps.orm.em.fork();
    const row = await em.findOne(Invoice, { $or: [{ id: invoiceId }, { stripeInvoiceId: invoiceId }] });
    const stripeInvoiceId = row?.stripeInvoiceId ?? (invoiceId.startsWith('in_') ? invoiceId : null);
    if (!stripeInvoiceId) {
      throw ApplicationFailure.nonRetryable(`invoice ${invoiceId} not found`, 'InvoiceNotFound');
    }
    if (row) {
      const mirrored = await em.findOne(
        Charge,
        { stripeInvoiceId, status: 'succeeded' },
        { orderBy: { createdAt: 'desc' } },
      );
      if (mirrored) return { charge: mirrored.stripeChargeId, invoice: stripeInvoiceId };
    }
    const inv = (await stripeCall(() => stripe.invoices.retrieve(stripeInvoiceId))) as unknown as Record<
      string,
      unknown
    >;
    let charge = idOf(inv.charge);
    const pi = idOf(inv.payment_intent);
    if (!charge && pi) {
      charge = idOf((await stripeCall(() => stripe.paymentIntents.retrieve(pi))).latest_charge);
    }
    if (!charge) {
      throw ApplicationFailure.nonRetryable(`invoice ${invoiceId} has no charge to refund`, 'NoCharge');
    }
    return { charge, invoice: stripeInvoiceId };
  }

  /**
   * Refunds an invoice's charge, whole or in part. The Stripe idempotency key comes from the caller's key,
   * so a retry or a replay returns Stripe's first refund instead of making a second; a refund of more than
   * is left fails without calling Stripe's refund.
   */
  async function refundInvoiceCharge(req: RefundRequest): Promise<RefundResult> {
    const stripe = requireStripe(deps);
    const { charge: chargeId, invoice } = await chargeOfInvoice(stripe, req.invoiceId);
    const key = idempotencyKey(`refund:${invoice}:${req.idempotencyKey}`);
    const before = await stripeCall(() => stripe.charges.retrieve(chargeId));
    const left = before.amount - before.amount_refunded;
    const amount = req.amountCents ?? left;
    if (before.status !== 'succeeded' || amount <= 0 || amount > left) {
      throw ApplicationFailure.create({
        message: `a refund of ${amount} cents exceeds the ${left} cents left on charge ${chargeId}`,
        type: 'RefundExceedsCharge',
        nonRetryable: true,
        details: [{ chargeAmountCents: before.amount, amountRefundedCents: before.amount_refunded }],
      });
    }
    const refund = await stripeCall(() =>
      stripe.refunds.create(
        {
          charge: chargeId,
          amount,
          ...(STRIPE_REASONS.has(req.reason)
            ? { reason: req.reason as Stripe.RefundCreateParams.Reason }
            : {}),
          metadata: { reason: req.reason.slice(0, 500), actor: req.actorId },
        },
        { idempotencyKey: key },
      ),
    );
    const after = await stripeCall(() => stripe.charges.retrieve(chargeId));
    const em = deps.orm.em.fork();
    const row = await upsertCharge(em, after);
    const result: RefundResult = {
      refundId: refund.id,
      stripeChargeId: chargeId,
      stripeInvoiceId: invoice,
      amountCents: refund.amount,
      currency: refund.currency,
      chargeAmountCents: after.amount,
      amountRefundedCents: row?.amountRefundedCents ?? after.amount_refunded,
      refunded: row?.refunded ?? after.refunded,
    };
    // Named by the refund, so a retried activity finds its entry instead of writing a second one.
    const auditId = `aud_${refund.id}`.slice(0, 40);
    if (!(await em.findOne(AuditEntry, auditId))) {
      recordAudit(em, {
        id: auditId,
        actor: { sub: req.actorId, email: req.actorEmail },
        action: 'invoice.refund',
        entityType: 'invoice',
        entityId: invoice,
        before: { charge: chargeId, amount_refunded_cents: before.amount_refunded },
        after: {
          charge: chargeId,
          refund: refund.id,
          amount_cents: refund.amount,
          amount_refunded_cents: result.amountRefundedCents,
          reason: req.reason,
        },
      });
      await em.flush();
    }
    return result;
  }

  return { syncCharge, refundInvoiceCharge };
}

import { ApplicationFailure } from '@temporalio/activity';
import type Stripe from 'stripe';
import type { EntityManager } from '@mikro-orm/core';
import { AuditEntry } from '../../db/entities';
import type { ActivityDeps } from '../deps';
import { clockOf } from '../../domain/clock';
import { upsertCharge, upsertRefund } from '../../db/mirror';
import { FINAL_DISPUTE_STAGE, stageOfDispute } from '../../domain/charge-progress';
import { stripeCall } from './errors';
import { idempotencyKey, requestTag } from './idempotency';
import { oneAdjustmentAtATime, readInvoiceMoney, refundableCents, stripeInvoiceIdOf } from './invoice-money';
import { requireStripe } from './require-stripe';
import { recordAudit } from '../../db/audit';
import { FAILURE } from '../../domain/failure-types';

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

/** Every refund of a charge, page by page. */
export async function refundsOf(stripe: Stripe, chargeId: string): Promise<Stripe.Refund[]> {
  const out: Stripe.Refund[] = [];
  for (let after: string | undefined; ;) {
    const page = await stripeCall(() =>
      stripe.refunds.list({ charge: chargeId, limit: 100, ...(after ? { starting_after: after } : {}) }),
    );
    out.push(...page.data);
    if (!page.has_more || page.data.length === 0) return out;
    after = page.data[page.data.length - 1]?.id;
  }
}

/** Refunding an invoice's charge. */
export function createStripeRefundActivities(deps: ActivityDeps) {
  /**
   * Refunds an invoice's charge, whole or in part, never more than is left once earlier refunds and credit
   * notes are counted, one refund or credit note of the invoice at a time. The Stripe idempotency key and
   * the refund's mark come from the caller's key, so a retry or a replay finds Stripe's first refund
   * instead of making a second; a refund of more than is left fails without calling Stripe's refund.
   */
  async function refundInvoiceCharge(req: RefundRequest): Promise<RefundResult> {
    const stripe = requireStripe(deps);
    const em = deps.orm.em.fork();
    const invoice = await stripeInvoiceIdOf(em, req.invoiceId);
    return oneAdjustmentAtATime(em, invoice, () => refundLocked(stripe, em, invoice, req));
  }

  async function refundLocked(
    stripe: Stripe,
    em: EntityManager,
    invoice: string,
    req: RefundRequest,
  ): Promise<RefundResult> {
    const money = await readInvoiceMoney(stripe, em, invoice);
    const before = money.charge;
    if (!before) {
      throw ApplicationFailure.nonRetryable(
        `invoice ${req.invoiceId} has no charge to refund`,
        FAILURE.noCharge,
      );
    }
    const chargeId = before.id;
    const key = idempotencyKey(`refund:${invoice}:${req.idempotencyKey}`);
    const request = requestTag(req.idempotencyKey);
    let refund = before.amount_refunded > 0 ? await refundOfRequest(stripe, chargeId, request) : null;
    // The cardholder's bank holds the money while a dispute is open: Stripe refuses refunds until it ends.
    const dispute = money.dispute;
    if (!refund && dispute && stageOfDispute(dispute.status) < FINAL_DISPUTE_STAGE) {
      throw ApplicationFailure.create({
        message: `charge ${chargeId} is disputed (${dispute.status}); it cannot be refunded until the dispute ends`,
        type: FAILURE.chargeDisputed,
        nonRetryable: true,
        details: [{ disputeStatus: dispute.status }],
      });
    }
    if (!refund) {
      const left = refundableCents(money);
      const amount = req.amountCents ?? left;
      if (before.status !== 'succeeded' || amount <= 0 || amount > left) {
        throw ApplicationFailure.create({
          message: `a refund of ${amount} cents exceeds the ${left} cents left on charge ${chargeId}`,
          type: FAILURE.refundExceedsCharge,
          nonRetryable: true,
          details: [
            {
              chargeAmountCents: before.amount,
              amountRefundedCents: before.amount_refunded,
              amountLeftCents: left,
            },
          ],
        });
      }
      refund = await stripeCall(() =>
        stripe.refunds.create(
          {
            charge: chargeId,
            amount,
            ...(STRIPE_REASONS.has(req.reason)
              ? { reason: req.reason as Stripe.RefundCreateParams.Reason }
              : {}),
            metadata: { reason: req.reason.slice(0, 500), actor: req.actorId, engine_request: request },
          },
          { idempotencyKey: key },
        ),
      );
    }
    const after = await stripeCall(() => stripe.charges.retrieve(chargeId));
    const row = await upsertCharge(em, after, null, clockOf(deps));
    await upsertRefund(em, refund, clockOf(deps));
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

  /** The refund an earlier attempt of this request made, found by its mark. */
  async function refundOfRequest(stripe: Stripe, chargeId: string, request: string) {
    const refunds = await refundsOf(stripe, chargeId);
    return refunds.find((r) => r.metadata?.engine_request === request) ?? null;
  }

  return { refundInvoiceCharge };
}

import { ApplicationFailure } from '@temporalio/activity';
import type Stripe from 'stripe';
import type { EntityManager } from '@mikro-orm/core';
import { AuditEntry, Refund } from '../../db/entities';
import { voidRefundedCredits } from '../credits/refunds';
import type { ActivityDeps } from '../deps';
import { FINAL_DISPUTE_STAGE, stageOfDispute, upsertCharge, upsertRefund } from '../db/mirror';
import { stripeCall } from './errors';
import { idempotencyKey } from './idempotency';
import { requestTag } from './credit-notes';
import {
  chargeIdOfInvoice,
  latestDispute,
  oneAdjustmentAtATime,
  readInvoiceMoney,
  refundableCents,
  stripeInvoiceIdOf,
} from './invoice-money';
import { requireStripe } from './require-stripe';
import { recordAudit } from '../../db/audit';
import { lostToDispute } from '../../domain/credit-purchase';
import { FAILURE } from '../../domain/failure-types';

export interface ChargeSyncResult {
  mirrored: boolean;
  status: string | null;
  amountRefundedCents: number | null;
  disputeStatus?: string | null;
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

/** Mirroring charges from Stripe, and refunding an invoice's charge. */
export function createStripeChargeActivities(deps: ActivityDeps) {
  /**
   * Re-reads the charge (and its dispute, if it has one) from Stripe and upserts the mirror: an event says
   * only that something changed, and its payload may be older than another event already applied. An
   * invoice id (`in_…`) stands for the charge that paid it, so a paid invoice's charge is mirrored even
   * when no charge event arrives (newer API versions name no charge on the invoice: Stripe is asked).
   */
  async function syncCharge(stripeChargeOrInvoiceId: string): Promise<ChargeSyncResult> {
    const stripe = requireStripe(deps);
    const stripeChargeId = stripeChargeOrInvoiceId.startsWith('in_')
      ? await chargeIdOfInvoice(stripe, deps.orm.em.fork(), stripeChargeOrInvoiceId)
      : stripeChargeOrInvoiceId;
    // Paid without a charge (from the customer's balance, or out of band): nothing to mirror.
    if (!stripeChargeId) return { mirrored: false, status: null, amountRefundedCents: null };
    const ch = await stripeCall(() => stripe.charges.retrieve(stripeChargeId));
    const dispute = ch.disputed ? await latestDispute(stripe, ch.id) : null;
    const em = deps.orm.em.fork();
    const row = await upsertCharge(em, ch, dispute);
    // Refunded, or refunded before and since failed: each refund is kept with its own date and status.
    if (row && (ch.amount_refunded > 0 || (await em.count(Refund, { charge: row })) > 0)) {
      for (const r of await refundsOf(stripe, ch.id)) await upsertRefund(em, r);
    }
    const paymentIntentId = typeof ch.payment_intent === 'string' ? ch.payment_intent : ch.payment_intent?.id;
    // A credit pack or top-up refunded, or its dispute lost, takes its credits back (an invoice's charge
    // finds no grant); a dispute open or won takes nothing.
    if (paymentIntentId) {
      await voidRefundedCredits(em, {
        paymentIntentId,
        amountCents: ch.amount,
        amountRefundedCents: ch.amount_refunded,
        amountDisputeLostCents: lostToDispute(dispute),
      });
    }
    return {
      mirrored: row !== null,
      status: row?.status ?? null,
      amountRefundedCents: row?.amountRefundedCents ?? null,
      disputeStatus: row?.disputeStatus ?? null,
    };
  }

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
    const row = await upsertCharge(em, after);
    await upsertRefund(em, refund);
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

  /** Every refund of a charge, page by page. */
  async function refundsOf(stripe: Stripe, chargeId: string): Promise<Stripe.Refund[]> {
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

  return { syncCharge, refundInvoiceCharge };
}

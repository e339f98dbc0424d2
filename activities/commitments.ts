import type Stripe from 'stripe';
import { recordBillingEvent } from '../db/billing-events';
import { dueTrueUps, recordCommitmentPeriod, trueUpContext } from '../db/commitments';
import { cardToCharge } from '../db/payment-method-reads';
import { sqlFor } from '../db/raw-sql';
import { TRUE_UP_METADATA_KEY, type BilledLine } from '../domain/commitments';
import { clockOf } from '../domain/clock';
import type { ActivityDeps } from './deps';
import { stripeCall } from './stripe/errors';
import { oneLineInvoice } from './stripe/one-line-invoice';
import { requireStripe } from './stripe/require-stripe';

/** What settling a period needs to know, read once. */
export interface TrueUpTerms {
  /** Already settled (by an earlier run): its true-up, and nothing to do. */
  settled: { consumedCents: number; trueUpCents: number; stripeInvoiceId: string | null } | null;
  customerId: string;
  minimumCents: number;
  currency: string;
  stripeCustomerId: string | null;
  stripeSubscriptionId: string | null;
  /** The card the subscription is charged on, as the mirror knows it; null: Stripe's own default. */
  paymentMethodId: string | null;
}

/** Minimum commitments: which periods are due, what Stripe billed for one, its true-up, and the record. */
export function createCommitmentActivities(deps: ActivityDeps) {
  /** Periods due a true-up (their renewal invoice mirrored, not settled yet). */
  async function dueCommitmentPeriods(_: Record<string, never>) {
    return dueTrueUps(deps.orm.em.fork(), clockOf(deps).now());
  }

  async function loadTrueUpTerms(req: { commitmentId: string; periodStart: string }): Promise<TrueUpTerms> {
    const { commitment, settled, sub, customer, card } = await trueUpContext(
      deps.orm.em.fork(),
      req.commitmentId,
      new Date(req.periodStart),
    );
    return {
      settled: settled
        ? {
            consumedCents: settled.consumedCents,
            trueUpCents: settled.trueUpCents,
            stripeInvoiceId: settled.stripeInvoiceId ?? null,
          }
        : null,
      customerId: commitment.customerId,
      minimumCents: commitment.minimumCents,
      currency: commitment.currency,
      stripeCustomerId: customer.stripeCustomerId ?? null,
      stripeSubscriptionId: sub.stripeSubscriptionId ?? null,
      paymentMethodId: card,
    };
  }

  /**
   * Every line Stripe billed on the subscription's invoices made since the period began (the fee in
   * advance at its start, prorations inside it, its usage on the renewal), with its discounts and service
   * period; the decision of which count is the domain's.
   */
  async function billedLinesSince(req: {
    stripeSubscriptionId: string;
    periodStart: string;
  }): Promise<BilledLine[]> {
    const stripe = requireStripe(deps);
    const gte = Math.floor(Date.parse(req.periodStart) / 1000);
    const lines: BilledLine[] = [];
    const invoices = stripe.invoices.list({
      subscription: req.stripeSubscriptionId,
      created: { gte },
      limit: 100,
    });
    await stripeCall(() =>
      invoices.autoPagingEach(async (inv) => {
        if (inv.status === 'draft' || inv.status === 'void' || !inv.id) return;
        await stripe.invoices.listLineItems(inv.id, { limit: 100 }).autoPagingEach((l) => {
          lines.push(billedLine(l));
        });
      }),
    );
    return lines;
  }

  /**
   * The true-up on an invoice of its own, finalized: the line carries the period it settles and the
   * commitment, and each call its idempotency key, so a retry finds what the first attempt made.
   */
  async function invoiceTrueUp(req: {
    commitmentId: string;
    stripeCustomerId: string;
    amountCents: number;
    currency: string;
    periodStart: string;
    periodEnd: string;
  }): Promise<{ stripeInvoiceId: string }> {
    return oneLineInvoice(requireStripe(deps), {
      key: `true-up:${req.commitmentId}:${req.periodStart}`,
      stripeCustomerId: req.stripeCustomerId,
      currency: req.currency,
      amountCents: req.amountCents,
      description: 'Minimum commitment true-up',
      lineDescription: `Minimum commitment true-up, ${req.periodStart.slice(0, 10)} to ${req.periodEnd.slice(0, 10)}`,
      metadata: { [TRUE_UP_METADATA_KEY]: req.commitmentId },
      period: {
        start: Math.floor(Date.parse(req.periodStart) / 1000),
        end: Math.floor(Date.parse(req.periodEnd) / 1000),
      },
    });
  }

  async function recordTrueUp(req: {
    commitmentId: string;
    customerId: string;
    periodStart: string;
    periodEnd: string;
    minimumCents: number;
    consumedCents: number;
    trueUpCents: number;
    currency: string;
    stripeInvoiceId: string | null;
  }): Promise<void> {
    const em = deps.orm.em.fork();
    const now = clockOf(deps).now();
    await recordCommitmentPeriod(
      em,
      { ...req, periodStart: new Date(req.periodStart), periodEnd: new Date(req.periodEnd) },
      now,
    );
    if (req.trueUpCents === 0) return;
    // For the outgoing webhooks, once per commitment and period whatever retries.
    await recordBillingEvent(sqlFor(em), {
      customerId: req.customerId,
      type: 'commitment.trued_up',
      payload: {
        commitment_id: req.commitmentId,
        period_start: req.periodStart,
        period_end: req.periodEnd,
        minimum_cents: req.minimumCents,
        consumed_cents: req.consumedCents,
        true_up_cents: req.trueUpCents,
        currency: req.currency,
        invoice_id: req.stripeInvoiceId,
      },
      dedupeKey: `commitment.trued_up:${req.commitmentId}:${req.periodStart}`,
      at: now,
    });
  }

  /**
   * The card to charge an invoice of the engine's own with, read as it is charged (a true-up's, a prepaid
   * commit's): the customer's choice made since the run read its terms is the one followed.
   */
  async function chargingCard(req: { customerId: string }): Promise<string | null> {
    return cardToCharge(deps.orm.em.fork(), req.customerId);
  }

  return {
    dueCommitmentPeriods,
    loadTrueUpTerms,
    billedLinesSince,
    invoiceTrueUp,
    recordTrueUp,
    chargingCard,
  };
}

function billedLine(l: Stripe.InvoiceLineItem): BilledLine {
  return {
    amountCents: l.amount,
    discountCents: (l.discount_amounts ?? []).reduce((s, d) => s + d.amount, 0),
    periodStart: l.period.start,
    periodEnd: l.period.end,
    trueUp: Boolean(l.metadata?.[TRUE_UP_METADATA_KEY]),
  };
}

import { readLedger } from '../../db/credit-ledger';
import { countTopUpTry, markTopUp } from '../../db/credit-top-ups';
import { liveSubscriptionOf } from '../../db/live-subscription';
import { packPriceIn } from '../../domain/currency/pack-prices';
import { CreditPack, CreditSettings, CreditTopUp, Customer, PaymentMethod } from '../../db/entities';
import { sqlFor } from '../../db/raw-sql';
import { creditBalance } from '../../domain/credit-ledger';
import { clockOf } from '../../domain/clock';
import { topUpDue } from '../../domain/credit-purchase';
import { chargeableOffSession, topUpRefusal } from '../../domain/top-up-policy';
import type { ActivityDeps } from '../deps';
import { declinedNotice } from './top-up-notices';
import type { TopUpOutcome, TopUpTry } from './top-up-outcome';

/** Everything the charge and its record need, decided before Stripe is asked. */
export interface TopUpCharge extends TopUpTry {
  email: string;
  packId: string;
  packName: string;
  credits: number;
  expiresAfterDays: number | null;
  /** The pack's price in the currency the customer pays in, before tax. */
  priceCents: number;
  currency: string;
  stripeCustomerId: string;
  paymentMethodId: string;
}

/** Either the try's outcome is already known (made, skipped, refused), or the card is to be charged. */
export type PreparedTopUp = { outcome: TopUpOutcome; charge: null } | { outcome: null; charge: TopUpCharge };

export const topUpOutcome = (status: TopUpOutcome['status'], reason: string | null): TopUpOutcome => ({
  status,
  reason,
  grantId: null,
  paymentIntentId: null,
  notice: null,
});

/**
 * Load and decide, before any money moves: a crossing already granted answers its grant; a top-up no longer
 * due is skipped; otherwise the try is counted (one in flight per customer, under a lock) and the pack, the
 * plan, the currency and a card on file are checked, a refusal being recorded as the try's decline.
 */
export function createTopUpPrepareActivities(deps: ActivityDeps) {
  async function prepareTopUp(req: TopUpTry): Promise<PreparedTopUp> {
    const em = deps.orm.em.fork();
    const settings = await em.findOne(CreditSettings, { customerId: req.customerId });
    const { grants, movements } = await readLedger(sqlFor(em), req.customerId);
    const done = grants.find((g) => g.sourceKey === `topup:${req.crossingKey}`);
    if (done)
      return {
        outcome: { ...topUpOutcome('charged', null), grantId: done.id, paymentIntentId: done.stripeObjectId },
        charge: null,
      };
    const now = clockOf(deps).now();
    const balance = creditBalance(grants, movements, now);
    const auto = {
      enabled: settings?.autoTopUpEnabled ?? false,
      threshold: settings?.autoTopUpThreshold ?? null,
      packId: settings?.autoTopUpPackId ?? null,
    };
    // A try that was counted may have reached Stripe before a crash: it is made again exactly as it was
    // (same pack, same key), so Stripe answers its first result, whatever the balance is now.
    let record = await em.findOne(CreditTopUp, { crossingKey: req.crossingKey });
    if (!record || record.attempts < req.attempt) {
      if (!topUpDue(auto, balance))
        return {
          outcome: topUpOutcome('skipped', 'no longer below the threshold, or auto top-up is off'),
          charge: null,
        };
      const counted = await countTopUpTry(em, record, req, auto, balance, now);
      if (!counted)
        return {
          outcome: topUpOutcome('skipped', 'another top-up of this customer is being charged'),
          charge: null,
        };
      record = counted;
    }
    const pack = await em.findOne(CreditPack, { id: record.packId });
    const customer = await em.findOne(Customer, { id: req.customerId });
    // The default card, else the newest: a bank debit on file is never charged off-session.
    const methods = customer
      ? await em.find(
          PaymentMethod,
          { customer: customer.id, detachedAt: null },
          { orderBy: { isDefault: 'desc', createdAt: 'desc' } },
        )
      : [];
    const card = methods.find((m) => chargeableOffSession(m.type)) ?? null;
    const planCode = customer ? ((await liveSubscriptionOf(em, customer.id))?.plan.code ?? null) : null;
    // Charged in the currency the customer pays in, at the pack's price in it.
    const currency = customer?.currency ?? pack?.currency ?? '';
    const priceCents = pack ? packPriceIn(pack, currency) : null;
    const refusal = topUpRefusal({
      pack,
      planCode,
      priceCents,
      currency,
      hasCard: Boolean(card && customer?.stripeCustomerId),
    });
    if (refusal || !pack || priceCents === null || !card || !customer?.stripeCustomerId) {
      const reason = refusal ?? 'no card on file';
      await markTopUp(em, record, { status: 'declined', error: reason });
      return {
        outcome: { ...topUpOutcome('declined', reason), notice: declinedNotice(customer, req, reason) },
        charge: null,
      };
    }
    return {
      outcome: null,
      charge: {
        ...req,
        email: customer.email,
        packId: pack.id,
        packName: pack.name,
        credits: pack.credits,
        expiresAfterDays: pack.expiresAfterDays ?? null,
        priceCents,
        currency,
        stripeCustomerId: customer.stripeCustomerId,
        paymentMethodId: card.stripePaymentMethodId,
      },
    };
  }

  return { prepareTopUp };
}

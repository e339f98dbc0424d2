import type Stripe from 'stripe';
import { stripeCall } from '../stripe/errors';
import { idempotencyKey } from '../stripe/idempotency';

/** What a top-up charges: the pack's price, and with Stripe Tax on, the tax on it at the customer's rate. */
export interface TopUpPrice {
  amountCents: number;
  taxCents: number;
  calculationId: string | null;
}

/**
 * Prices a top-up as Checkout prices a pack: with Stripe Tax on, a tax calculation for the customer (their
 * saved address decides the rate) adds the tax, as an off-session payment has no Checkout to add it.
 */
export async function priceTopUp(
  stripe: Stripe,
  stripeTax: boolean,
  p: { stripeCustomerId: string; priceCents: number; currency: string; packId: string },
): Promise<TopUpPrice> {
  if (!stripeTax) return { amountCents: p.priceCents, taxCents: 0, calculationId: null };
  const calc = await stripeCall(() =>
    stripe.tax.calculations.create({
      currency: p.currency,
      customer: p.stripeCustomerId,
      line_items: [{ amount: p.priceCents, reference: p.packId, tax_behavior: 'exclusive' }],
    }),
  );
  return { amountCents: calc.amount_total, taxCents: calc.tax_amount_exclusive, calculationId: calc.id };
}

/** Records a paid top-up's tax with Stripe Tax, once per crossing (the reference and the key name it). */
export async function recordTopUpTax(stripe: Stripe, price: TopUpPrice, crossingKey: string): Promise<void> {
  const calculation = price.calculationId;
  if (!calculation) return;
  const reference = `topup:${crossingKey}`.slice(0, 500);
  await stripeCall(() =>
    stripe.tax.transactions.createFromCalculation(
      { calculation, reference },
      { idempotencyKey: idempotencyKey(`topup-tax:${crossingKey}`) },
    ),
  );
}

import { defineRoute } from '../../routing/define-route';
import {
  getAlerts,
  getCreditPacks,
  getCredits,
  getSpendCap,
  postPurchase,
  putAlerts,
  putAutoTopUp,
  putSpendCap,
} from './handlers';
import {
  alertsBody,
  alertsResponse,
  autoTopUpBody,
  creditsResponse,
  purchaseBody,
  purchaseResponse,
  packsResponse,
  spendCapBody,
  spendCapResponse,
} from './schemas';

const tags = ['credits'];
const noCustomer = { 404: 'The caller is not a customer yet' };

/** A customer's prepaid credits and spend cap, and the packs on sale (docs/credits.md). */
export const creditRoutes = [
  defineRoute({
    method: 'get',
    path: '/billing/credits',
    summary:
      "The caller's prepaid credits: the balance (what is left on live grants), each grant with what is left " +
      'and its expiry in the order they are drawn, this period’s included credits, the spend cap and auto top-up',
    tags,
    access: 'viewer',
    errors: noCustomer,
    response: creditsResponse,
    handler: getCredits,
  }),
  defineRoute({
    method: 'post',
    path: '/billing/credits/purchase',
    rateLimit: 'stripe',
    summary:
      'Buy a credit pack: a Stripe Checkout page in payment mode; the credits are granted once Stripe says ' +
      'the payment succeeded, with the credits and expiry the pack had now',
    tags,
    access: 'viewer',
    body: purchaseBody,
    fields: { packId: 'body.pack_id' },
    errors: {
      ...noCustomer,
      404: 'No such pack on sale (credit_pack_not_found), or the caller is not a customer yet',
      409: 'The pack is for other plans (credit_pack_not_for_plan)',
    },
    response: purchaseResponse,
    handler: postPurchase,
  }),
  defineRoute({
    method: 'put',
    path: '/billing/credits/auto-top-up',
    // Each changed save may charge the card at once: limited like any route that starts a Stripe charge.
    rateLimit: 'stripe',
    summary:
      'Turn automatic top-up on (when the balance falls below threshold, the card on file buys the pack, ' +
      'once per crossing) or off; answers the credits as GET /billing/credits does',
    tags,
    access: 'viewer',
    body: autoTopUpBody,
    fields: { packId: 'body.pack_id', threshold: 'body.threshold', enabled: 'body.enabled' },
    errors: {
      ...noCustomer,
      400: 'validation_failed: a threshold and a pack are needed to turn it on',
      404: 'No such pack on sale (credit_pack_not_found), or the caller is not a customer yet',
      409: 'credit_pack_not_for_plan; no_payment_method: add a card first (a bank debit is not charged off-session)',
    },
    response: creditsResponse,
    handler: putAutoTopUp,
  }),
  defineRoute({
    method: 'get',
    path: '/billing/spend-cap',
    summary:
      "The caller's spend cap on a period's overage, this period's overage against it, and when it resets",
    tags,
    access: 'viewer',
    errors: noCustomer,
    response: spendCapResponse,
    handler: getSpendCap,
  }),
  defineRoute({
    method: 'put',
    path: '/billing/spend-cap',
    summary:
      'Set the spend cap (amount_cents: 0 allows no overage, not even a unit whose cost rounds to 0¢; null ' +
      'lifts it) and whether usage past it is refused (block) or only notified (notify); at most the ' +
      'maximum an admin set, and under a maximum the cap blocks',
    tags,
    access: 'viewer',
    body: spendCapBody,
    fields: { amountCents: 'body.amount_cents', mode: 'body.mode' },
    errors: {
      ...noCustomer,
      400: 'spend_cap_above_maximum, spend_cap_required, spend_cap_must_block (mode notify): an admin set a maximum',
    },
    response: spendCapResponse,
    handler: putSpendCap,
  }),
  defineRoute({
    method: 'get',
    path: '/billing/alerts',
    summary:
      "The caller's alert thresholds in force, each with whose it is (their own, their plan's default, the " +
      "engine's): a share of included credits used, a prepaid balance below, this period's overage cost",
    tags,
    access: 'viewer',
    errors: noCustomer,
    response: alertsResponse,
    handler: getAlerts,
  }),
  defineRoute({
    method: 'put',
    path: '/billing/alerts',
    summary:
      'Set alert thresholds (null puts one back to the default); each crossing is told once a period by ' +
      'mail and as a usage.threshold_reached, credits.low, usage.overage_reached or spend_cap.reached event',
    tags,
    access: 'viewer',
    body: alertsBody,
    fields: { includedPercent: 'body.included_percent' },
    errors: noCustomer,
    response: alertsResponse,
    handler: putAlerts,
  }),
  defineRoute({
    method: 'get',
    path: '/plans/credit-packs',
    summary: 'Credit packs on sale: credits, price, which plans may buy them, and how long the credits last',
    tags,
    access: 'public',
    response: packsResponse,
    handler: getCreditPacks,
  }),
];

/**
 * The Stripe event types the engine acts on: the ones its webhook endpoint should be subscribed to. An
 * endpoint that takes every event (`*`, or `stripe listen` without `--events`) is also sent those the engine
 * ignores on purpose (route.ts `isIgnoredEventType`): a renewal's two payment intent events and its
 * invoice.payment_succeeded, each a signed request, a row and a mark for nothing. `npm run verify` needs only
 * the required ones (services/setup/verify-integration.ts); this is the whole set.
 */
export const STRIPE_EVENTS_ACTED_ON = [
  // A subscription's life: its workflow re-reads Stripe's subscription on each.
  'customer.subscription.created',
  'customer.subscription.updated',
  'customer.subscription.deleted',
  'customer.subscription.paused',
  'customer.subscription.resumed',
  'customer.subscription.trial_will_end',
  'customer.subscription.pending_update_applied',
  'customer.subscription.pending_update_expired',
  // Checkout: a subscription's first activation, or a credit pack paid at once or later.
  'checkout.session.completed',
  'checkout.session.async_payment_succeeded',
  // Invoices: dunning and the invoice mirror.
  'invoice.created',
  'invoice.finalized',
  'invoice.updated',
  'invoice.paid',
  'invoice.payment_failed',
  'invoice.payment_action_required',
  'invoice.voided',
  'invoice.marked_uncollectible',
  'invoice.deleted',
  // Charges, their refunds and disputes: the charge mirror, and credits taken back.
  'charge.succeeded',
  'charge.failed',
  'charge.pending',
  'charge.captured',
  'charge.expired',
  'charge.refunded',
  'charge.refund.updated',
  'refund.updated',
  'refund.failed',
  'charge.dispute.created',
  'charge.dispute.updated',
  'charge.dispute.closed',
  'charge.dispute.funds_withdrawn',
  'charge.dispute.funds_reinstated',
  // Credit notes and cards: a customer's update when it moves the card that pays (the billing portal's).
  'credit_note.created',
  'credit_note.updated',
  'credit_note.voided',
  'payment_method.attached',
  'payment_method.detached',
  'payment_method.updated',
  'payment_method.automatically_updated',
  'customer.updated',
] as const;

/**
 * Every workflow id the engine starts, in one place. Ids are business keys, so a second start for the same
 * thing finds the first; runs that may happen more than once for the same object carry the request's or
 * the event's id.
 */
export const workflowIds = {
  customer: (userId: string) => `customer-${userId}`,
  subscription: (subscriptionId: string) => `subscription-${subscriptionId}`,
  dunning: (invoiceId: string) => `dunning-${invoiceId}`,
  usageRollup: () => 'usage-rollup',
  /** One settlement per commitment and period, never started twice. */
  commitmentTrueUp: (commitmentId: string, periodStart: string) =>
    `commitment-true-up-${commitmentId}-${periodStart}`,
  /** A prepaid commit is funded once and settled once. */
  prepaidCommitFunding: (commitId: string) => `prepaid-commit-funding-${commitId}`,
  prepaidCommitSettlement: (commitId: string) => `prepaid-commit-settlement-${commitId}`,
  catalogSync: () => 'catalog-sync',
  /**
   * One mirror run per Stripe object at a time: the events of a burst (an invoice's created, finalized
   * and paid, and its payment's charge) signal the run in progress instead of starting one each. Given an
   * invoice's id, the charge run looks up the charge that paid it. (Runs started before were one per
   * event: `charge-sync-<event>`, `invoice-sync-<event>`.)
   */
  chargeMirror: (chargeOrInvoiceId: string) => `charge-mirror-${chargeOrInvoiceId}`,
  invoiceMirror: (invoiceId: string) => `invoice-mirror-${invoiceId}`,
  /** One mirror run per Stripe event. */
  creditNoteSync: (eventId: string) => `credit-note-sync-${eventId}`,
  paymentMethodsSync: (eventId: string) => `payment-methods-sync-${eventId}`,
  /**
   * Attaching a card happens once per customer and card. Not per card alone: Stripe's test shortcuts
   * (`pm_card_visa`) are one id for every customer, and two customers attaching at once would each get
   * the run, and the card, of whoever started first.
   */
  paymentMethodAttach: (customerId: string, paymentMethodId: string) =>
    `payment-method-${customerId}-${paymentMethodId}`,
  paymentMethodDetach: (paymentMethodId: string) => `payment-method-detach-${paymentMethodId}`,
  /** Choosing a default can flip back and forth, so each request is its own run. */
  paymentMethodDefault: (paymentMethodId: string, requestId: string) =>
    `payment-method-default-${paymentMethodId}-${requestId}`,
  paymentMethodSetup: (customerId: string, requestId: string) =>
    `payment-method-setup-${customerId}-${requestId}`,
  portalSession: (customerId: string, requestId: string) => `portal-${customerId}-${requestId}`,
  /** A preview changes nothing: each request is its own short run. */
  upcomingInvoice: (subscriptionId: string, requestId: string) =>
    `upcoming-invoice-${subscriptionId}-${requestId}`,
  /** An invoice's lines read for its explanation: a read, each request its own short run. */
  invoiceLines: (stripeInvoiceId: string, requestId: string) =>
    `invoice-lines-${stripeInvoiceId}-${requestId}`,
  /** One migration of a plan at a time: a second start while one runs is refused. */
  planMigration: (planCode: string) => `plan-migration-${planCode}`,
  /** A plan's rehearsal, one at a time too, beside (never instead of) its migration. */
  planRehearsal: (planCode: string) => `plan-rehearsal-${planCode}`,
  /** A credit pack's Checkout page: one run per request, as for a card. */
  creditCheckout: (customerId: string, requestId: string) => `credit-checkout-${customerId}-${requestId}`,
  /** A paid Checkout session grants once: every event of it finds this run, or its result. */
  creditPurchase: (checkoutSessionId: string) => `credit-purchase-${checkoutSessionId}`,
  /** One automatic top-up per crossing of the threshold (domain/credit-purchase.ts topUpCrossingKey). */
  creditTopUp: (crossingKey: string) => `credit-top-up-${crossingKey}`,
  /** One refund or credit note per invoice and idempotency key (its digest, so any printable key fits). */
  moneyBack: (kind: 'refund' | 'credit-note', stripeInvoiceId: string, keyDigest: string) =>
    `${kind}-${stripeInvoiceId}-${keyDigest}`,
  /** One line of deliveries per endpoint and customer ('' for events of no customer), in event order. */
  webhookQueue: (endpointId: string, queueKey: string) => `webhook-queue-${endpointId}-${queueKey || 'none'}`,
  /** An admin's redelivery: one run per request. */
  webhookRedelivery: (deliveryId: string, requestId: string) =>
    `webhook-redelivery-${deliveryId}-${requestId}`,
};

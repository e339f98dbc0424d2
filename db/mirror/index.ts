// The database mirror of Stripe's objects, one file per object.
export { recordRedemption, settleSubscriptionDiscount } from './subscriptions';
export { upsertInvoice } from './invoices';
export {
  cardsOnFile,
  markCardRemoved,
  markChargedCardDefault,
  mirrorCustomerCards,
  mirrorFirstCard,
  upsertPaymentMethod,
} from './payment-methods';
export { upsertCharge, type MirroredCharge } from './charges';
export { upsertCreditNote } from './credit-notes';
export { upsertRefund } from './refunds';

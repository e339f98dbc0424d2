export { catalogSyncWorkflow } from './catalog-sync';
export {
  creditInvoiceWorkflow,
  mirrorInvoiceWorkflow,
  refundInvoiceWorkflow,
  syncChargeWorkflow,
  syncCreditNoteWorkflow,
  syncInvoiceWorkflow,
} from './charges';
export { commitmentsWorkflow, commitmentTrueUpWorkflow } from './commitments';
export { prepaidCommitFundingWorkflow, prepaidCommitSettlementWorkflow } from './prepaid-commits';
export { creditHousekeepingWorkflow } from './credit-housekeeping';
export { creditCheckoutWorkflow, creditPurchaseWorkflow, creditTopUpWorkflow } from './credits';
export { customerOnboarding } from './customer-onboarding';
export { dunningWorkflow } from './dunning';
export {
  attachPaymentMethodWorkflow,
  cardSetupSessionWorkflow,
  detachPaymentMethodWorkflow,
  portalSessionWorkflow,
  readCardsWorkflow,
  setDefaultPaymentMethodWorkflow,
  syncPaymentMethodsWorkflow,
} from './payment-methods';
export { retentionWorkflow } from './retention';
export { subscriptionWorkflow } from './subscription';
export { upcomingInvoiceWorkflow } from './upcoming-invoice';
export { invoiceLinesWorkflow } from './invoice-lines';
export { planMigrationWorkflow } from './plan-migration';
export { usageRollupWorkflow } from './usage-rollup';
export { webhookDispatchWorkflow, webhookQueueWorkflow, webhookRedeliveryWorkflow } from './webhooks';

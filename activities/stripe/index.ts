import type { ActivityDeps } from '../deps';
import { createStripeCatalogActivities } from './catalog';
import { createStripeChargeActivities } from './charges';
import { createStripeClockActivities } from './calendar-checkout';
import { createStripeCheckoutActivities } from './checkout';
import { createStripeCreditNoteActivities } from './credit-notes';
import { createStripeCustomerActivities } from './customers';
import { createStripeInvoiceActivities } from './invoices';
import { createStripePaymentMethodActivities } from './payment-methods';
import { createStripeSubscriptionActivities } from './subscriptions';
import { createStripePrepaidCommitActivities } from './prepaid-commits';
import { createStripeSeatActivities } from './seats';
import { createStripeTrialActivities } from './trials';

export function createStripeActivities(deps: ActivityDeps) {
  return {
    ...createStripeCatalogActivities(deps),
    ...createStripeCustomerActivities(deps),
    ...createStripeCheckoutActivities(deps),
    ...createStripeClockActivities(deps),
    ...createStripeSubscriptionActivities(deps),
    ...createStripeSeatActivities(deps),
    ...createStripeInvoiceActivities(deps),
    ...createStripePaymentMethodActivities(deps),
    ...createStripeChargeActivities(deps),
    ...createStripeCreditNoteActivities(deps),
    ...createStripeTrialActivities(deps),
    ...createStripePrepaidCommitActivities(deps),
  };
}

import type { ActivityDeps } from '../deps';
import { stripeCatalogActivities } from './catalog';
import { stripeChargeActivities } from './charges';
import { stripeCheckoutActivities } from './checkout';
import { stripeCustomerActivities } from './customers';
import { stripeInvoiceActivities } from './invoices';
import { stripePaymentMethodActivities } from './payment-methods';
import { stripeSubscriptionActivities } from './subscriptions';
import { stripeTrialActivities } from './trials';

export function stripeActivities(deps: ActivityDeps) {
  return {
    ...stripeCatalogActivities(deps),
    ...stripeCustomerActivities(deps),
    ...stripeCheckoutActivities(deps),
    ...stripeSubscriptionActivities(deps),
    ...stripeInvoiceActivities(deps),
    ...stripePaymentMethodActivities(deps),
    ...stripeChargeActivities(deps),
    ...stripeTrialActivities(deps),
  };
}

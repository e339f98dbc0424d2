import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { UpcomingInvoice } from '../domain/upcoming-invoice';
import { stripeCallOptions } from './activity-options';

const stripe = proxyActivities<Activities>(stripeCallOptions);

/** Stripe's preview of a subscription's next invoice, for the API (id `upcoming-invoice-<sub>-<request>`). */
export async function upcomingInvoiceWorkflow(req: {
  stripeSubscriptionId: string;
  /** Lines to preview on top: an admin's what-if usage, rated by the engine. */
  extraItems?: { amountCents: number; currency: string; description: string }[];
}): Promise<UpcomingInvoice> {
  return req.extraItems?.length
    ? stripe.previewUpcomingInvoice(req.stripeSubscriptionId, req.extraItems)
    : stripe.previewUpcomingInvoice(req.stripeSubscriptionId);
}

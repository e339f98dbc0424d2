import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { IssuedLine } from '../domain/invoice-explain';
import { stripeCallOptions } from './activity-options';

const stripe = proxyActivities<Activities>(stripeCallOptions);

/** An issued invoice's lines as Stripe has them, for the API's explanation (id `invoice-lines-<inv>-<request>`). */
export async function invoiceLinesWorkflow(req: {
  stripeInvoiceId: string;
}): Promise<{ lines: IssuedLine[]; paymentIntentId: string | null }> {
  return stripe.fetchInvoiceLines(req.stripeInvoiceId);
}

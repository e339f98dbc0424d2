import { getExternalWorkflowHandle, isCancellation, log } from '@temporalio/workflow';
import { afterDunningReport } from '../../domain/subscription';
import { workflowIds } from '../ids';
import type { DunningReport, invoicePaid, paymentMethodAttached } from '../messages';
import { stripe } from './activity-proxies';
import { refresh } from './refresh';
import type { Run } from './run';
import { applySnapshot } from './snapshots';
import { setStatus } from './status';

/** A dunning run that already ended (its report still on the way, or terminated) is not an error here. */
export async function signalDunning(invoiceId: string, signal: typeof invoicePaid): Promise<void>;
export async function signalDunning(
  invoiceId: string,
  signal: typeof paymentMethodAttached,
  card: { paymentMethodId: string },
): Promise<void>;
export async function signalDunning(
  invoiceId: string,
  signal: typeof invoicePaid | typeof paymentMethodAttached,
  card?: { paymentMethodId: string },
): Promise<void> {
  try {
    const handle = getExternalWorkflowHandle(workflowIds.dunning(invoiceId));
    await (card ? handle.signal(signal as typeof paymentMethodAttached, card) : handle.signal(signal));
  } catch (err) {
    if (isCancellation(err)) throw err;
    log.warn('dunning run could not be signalled', { invoiceId, error: String(err) });
  }
}

export async function handleDunningReport(run: Run, r: DunningReport): Promise<void> {
  const { state } = run;
  const next = afterDunningReport(state, r);
  state.dunningInvoices = next.dunningInvoices;
  // Each step awaited, then returned: the turns taken order its commands among the sync chain's on replay.
  if (next.action === 'suspend') {
    await setStatus(run, 'suspended');
    return;
  }
  if (next.action === 'cancel') {
    const snap = await stripe.cancelSubscriptionNow({
      stripeSubscriptionId: state.stripeSubscriptionId as string,
      changeKey: `dunning-exhausted:${r.stripeInvoiceId}`,
    });
    await applySnapshot(run, snap);
    return;
  }
  await refresh(run);
}

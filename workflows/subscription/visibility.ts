import { setCurrentDetails, upsertSearchAttributes } from '@temporalio/workflow';
import type { SubscriptionView } from '../messages';
import {
  CustomerEmail,
  CustomerId,
  NextBillingAt,
  PlanTier,
  SubscriptionStatus as StatusAttr,
} from '../search-attributes';

/** Search attributes and the run's details, so an operator can find and read it in the Temporal UI. */
// Async, as callers await it: the turns it takes order its commands among the sync chain's.
export async function publish(state: SubscriptionView): Promise<void> {
  upsertSearchAttributes([
    { key: CustomerId, value: state.customerId },
    { key: CustomerEmail, value: state.email },
    { key: PlanTier, value: state.tier },
    { key: StatusAttr, value: state.status },
    { key: NextBillingAt, value: state.currentPeriodEnd ? new Date(state.currentPeriodEnd) : null },
  ]);
  setCurrentDetails(runDetails(state));
}

function runDetails(state: SubscriptionView): string {
  const lines = [
    `**${state.tier}** (${state.interval}), **${state.status}**`,
    state.currentPeriodEnd ? `period ends ${state.currentPeriodEnd}` : null,
    state.trialEnd && state.status === 'trialing' ? `trial ends ${state.trialEnd}` : null,
    state.cancelAtPeriodEnd ? 'cancels at period end' : null,
    state.pendingChange
      ? `switches to ${state.pendingChange.planCode} on ${state.pendingChange.effectiveAt}`
      : null,
    state.dunningInvoices.length ? `dunning: ${state.dunningInvoices.join(', ')}` : null,
    ...(state.syncFailures ?? []).map((f) => `**${f.system} sync failed** ${f.at}: ${f.error}`),
  ];
  return lines.filter(Boolean).join('\n\n');
}

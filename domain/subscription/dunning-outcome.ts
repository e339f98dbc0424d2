import { DEFAULT_DUNNING_POLICY } from '../dunning-policy';
import type { SubscriptionFacts } from './facts';

/** What a dunning run reports to its subscription (see the dunning workflow). */
export interface DunningOutcome {
  stripeInvoiceId: string;
  outcome: 'suspend' | 'recovered' | 'exhausted' | 'stopped';
  finalAction?: 'cancel' | 'mark_unpaid';
}

export interface AfterDunning {
  /** suspend: access ends until paid; cancel: end the subscription in Stripe; refresh: re-read Stripe. */
  action: 'suspend' | 'cancel' | 'refresh';
  /** The invoices still in dunning afterwards. */
  dunningInvoices: string[];
}

/**
 * What a dunning report does. A run asking to suspend keeps its invoice in dunning (payment lifts it); a
 * run that ended takes its invoice out and, when exhausted, applies the final action of the policy it
 * started with (the default policy's when the report names none).
 */
export function afterDunningReport(
  f: Pick<SubscriptionFacts, 'dunningInvoices' | 'stripeSubscriptionId'>,
  r: DunningOutcome,
): AfterDunning {
  if (r.outcome === 'suspend' && f.dunningInvoices.includes(r.stripeInvoiceId)) {
    return { action: 'suspend', dunningInvoices: f.dunningInvoices };
  }
  const dunningInvoices = f.dunningInvoices.filter((id) => id !== r.stripeInvoiceId);
  if (r.outcome !== 'exhausted') return { action: 'refresh', dunningInvoices };
  const finalAction = r.finalAction ?? DEFAULT_DUNNING_POLICY.finalAction;
  return {
    action: finalAction === 'cancel' && f.stripeSubscriptionId ? 'cancel' : 'suspend',
    dunningInvoices,
  };
}

/** A card Stripe announced attached, with its event's time (Unix seconds). */
export interface AttachedCard {
  paymentMethodId: string;
  attachedAt: number;
}

/**
 * The card a new dunning run retries with at once, if any. Stripe events arrive out of order, so a card the
 * customer added after seeing the payment fail can reach the subscription before the failure does; only
 * a card attached no earlier than the failure counts (one attached before it is most likely the card that
 * failed). The same second counts as after: a test clock stands still, and at worst it is one early retry.
 */
export function cardForNewDunning(
  lastCard: AttachedCard | null | undefined,
  failedAt: number,
): string | null {
  return lastCard && lastCard.attachedAt >= failedAt ? lastCard.paymentMethodId : null;
}

import { EntitySchema } from '@mikro-orm/core';
import type { SubscriptionStatus } from '../../domain/subscription-status';
import { Subscription } from './subscription';

/**
 * One change of a subscription's price or state, written by the mirror with each change: the history
 * that MRR movements (new, expansion, contraction, churn, reactivation) are computed from.
 */
export class SubscriptionChange {
  id!: string;
  subscription!: Subscription;
  customerId!: string;
  /** The subscription's currency, so revenue sums per currency without joining subscriptions. */
  currency!: string;
  at!: Date;
  oldAmountCents?: number | null;
  newAmountCents!: number;
  oldInterval?: 'month' | 'year' | null;
  newInterval!: 'month' | 'year';
  oldStatus?: SubscriptionStatus | null;
  newStatus!: SubscriptionStatus;
  oldTier?: string | null;
  newTier!: string;
}

export const SubscriptionChangeSchema = new EntitySchema<SubscriptionChange>({
  class: SubscriptionChange,
  tableName: 'subscription_changes',
  indexes: [
    {
      // Covers the revenue queries' scan of recent changes, so they never fetch the rows themselves.
      name: 'subscription_changes_revenue_index',
      properties: [
        'at',
        'currency',
        'customerId',
        'subscription',
        'oldStatus',
        'newStatus',
        'oldInterval',
        'newInterval',
        'oldAmountCents',
        'newAmountCents',
      ],
    },
    { properties: ['customerId', 'at'] },
  ],
  properties: {
    id: { type: 'string', primary: true, length: 40 },
    subscription: { kind: 'm:1', entity: () => Subscription, index: true },
    customerId: { type: 'string', length: 40 },
    currency: { type: 'string', length: 3 },
    at: { type: 'Date' },
    oldAmountCents: { type: 'integer', nullable: true },
    newAmountCents: { type: 'integer' },
    oldInterval: { type: 'string', length: 8, nullable: true },
    newInterval: { type: 'string', length: 8 },
    oldStatus: { type: 'string', length: 16, nullable: true },
    newStatus: { type: 'string', length: 16 },
    oldTier: { type: 'string', nullable: true },
    newTier: { type: 'string' },
  },
});

import { EntitySchema, type Opt } from '@mikro-orm/core';
import { Customer } from './customer';
import { Plan } from './plan';

import type { StoredDiscount } from '../../domain/subscription-state';
import type { SubscriptionStatus } from '../../domain/subscription-status';
import type { BillingAnchor } from '../../domain/billing-anchor';

export type { SubscriptionStatus };

/** The database mirror of a subscription; its workflow (`subscription-<id>`) is the owner of the state. */
export class Subscription {
  id!: string;
  customer!: Customer;
  plan!: Plan;
  tier!: string;
  status: Opt<SubscriptionStatus> = 'incomplete';
  interval: Opt<'month' | 'year'> = 'month';
  amountCents!: number;
  currency: Opt<string> = 'usd';
  stripeSubscriptionId?: string | null;
  stripeSubscriptionItemId?: string | null;
  stripePriceId?: string | null;
  currentPeriodStart?: Date | null;
  currentPeriodEnd?: Date | null;
  trialStart?: Date | null;
  trialEnd?: Date | null;
  cancelAtPeriodEnd: Opt<boolean> = false;
  /** Its trial ended without a card and Stripe paused it: adding one resumes it (domain/trial.ts). */
  awaitingCard: Opt<boolean> = false;
  /** Anniversary, or calendar: its periods turn over on the 1st (domain/billing-anchor.ts). */
  billingAnchor: Opt<BillingAnchor> = 'anniversary';
  /** The units its price is billed for (Stripe's item quantity): the seats, on a plan priced per seat. */
  seats: Opt<number> = 1;
  /** The discount Stripe applies to its invoices (mirrored from `discounts`); null for none. */
  discount?: StoredDiscount | null;
  /**
   * What it recurs at after a recurring discount (domain/plan-change.ts recurringAmountCents): what
   * `arr_cents` annualizes and the change history records; null on rows written before discounts counted.
   */
  netAmountCents?: number | null;
  canceledAt?: Date | null;
  endedAt?: Date | null;
  pausedAt?: Date | null;
  /** The newest Stripe object timestamp applied, so a late Stripe event never moves state backwards. */
  stripeUpdatedAt?: Date | null;
  /** Recurring amount per year while it counts toward MRR (paying states), else 0: revenue sums this. */
  arrCents: Opt<number> = 0;
  /**
   * A plan change the customer asked for at period end and has not withdrawn (its workflow holds the
   * request; this copy lets reads show it). All four are null when nothing is pending.
   */
  pendingTier?: string | null;
  pendingInterval?: 'month' | 'year' | null;
  pendingAmountCents?: number | null;
  pendingEffectiveAt?: Date | null;
  /**
   * The fingerprint of the card that paid for this trial; unique, so one card pays for one trial across
   * all customers (a second claim fails on the constraint, whoever races whom).
   */
  trialCardFingerprint?: string | null;
  createdAt: Opt<Date> = new Date();
  updatedAt: Opt<Date> = new Date();
}

export const SubscriptionSchema = new EntitySchema<Subscription>({
  class: Subscription,
  tableName: 'subscriptions',
  indexes: [
    { properties: ['status', 'currency', 'customer', 'arrCents'] },
    { properties: ['tier'] },
    // The admin list's keyset sorts, each with the id that breaks its ties.
    { properties: ['createdAt', 'id'] },
    { properties: ['amountCents', 'id'] },
  ],
  properties: {
    id: { type: 'string', primary: true, length: 40 },
    customer: { kind: 'm:1', entity: () => Customer, index: true },
    plan: { kind: 'm:1', entity: () => Plan },
    tier: { type: 'string' },
    status: { type: 'string', length: 16 },
    interval: { type: 'string', length: 8 },
    amountCents: { type: 'integer' },
    currency: { type: 'string', length: 3 },
    stripeSubscriptionId: { type: 'string', nullable: true, unique: true },
    stripeSubscriptionItemId: { type: 'string', nullable: true },
    stripePriceId: { type: 'string', nullable: true },
    currentPeriodStart: { type: 'Date', nullable: true },
    currentPeriodEnd: { type: 'Date', nullable: true },
    trialStart: { type: 'Date', nullable: true },
    trialEnd: { type: 'Date', nullable: true },
    cancelAtPeriodEnd: { type: 'boolean' },
    awaitingCard: { type: 'boolean', default: false },
    billingAnchor: { type: 'string', length: 16, default: 'anniversary' },
    seats: { type: 'integer', default: 1 },
    discount: { type: 'json', nullable: true },
    netAmountCents: { type: 'integer', nullable: true },
    canceledAt: { type: 'Date', nullable: true },
    endedAt: { type: 'Date', nullable: true },
    pausedAt: { type: 'Date', nullable: true },
    stripeUpdatedAt: { type: 'Date', nullable: true },
    arrCents: { type: 'integer' },
    pendingTier: { type: 'string', nullable: true },
    pendingInterval: { type: 'string', length: 8, nullable: true },
    pendingAmountCents: { type: 'integer', nullable: true },
    pendingEffectiveAt: { type: 'Date', nullable: true },
    trialCardFingerprint: { type: 'string', length: 64, nullable: true, unique: true },
    createdAt: { type: 'Date' },
    updatedAt: { type: 'Date', onUpdate: () => new Date() },
  },
});

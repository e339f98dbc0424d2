import type { DunningPolicy } from '../../domain/dunning-policy';
import type { TrialWithoutCard } from '../../domain/trial';
import type { BillingAnchor } from '../../domain/billing-anchor';
import type { DunningReport, PendingChange, StripeEventSignal, SubscriptionView } from '../messages';
import { oneAtATime } from '../one-at-a-time';
import { localSteps, type LocalSteps } from './local-steps';

export interface SubscriptionInput {
  subscriptionId: string;
  customerId: string;
  email: string;
  plan: {
    planId: string;
    planCode: string;
    priceId: string;
    usagePriceId?: string | null;
    amountCents: number;
    interval: 'month' | 'year';
    trialDays: number;
    /** Its trial starts without a card, and what the end does without one; absent: a card at checkout. */
    trialWithoutCard?: TrialWithoutCard | null;
    /** Calendar billing, chosen at checkout: periods turn over on the 1st. Absent: anniversary. */
    billingAnchor?: BillingAnchor;
    /** Seats bought at checkout, on a plan priced per seat (amountCents is then for all of them). */
    seats?: number;
    /** Charged once at checkout (the trial tier's $1.00); absent on runs started before it existed. */
    signupFee?: { amountCents: number; currency: string; stripeProductId: string } | null;
    /** The currency its prices are in (older histories lack it: the customer's, else the plan's). */
    currency?: string;
  };
  /**
   * A trial-tier trial's plan to continue with, picked at signup: it becomes the pending change (effective
   * at the trial's end) as soon as Stripe shows the trial running.
   */
  continuation?: Omit<PendingChange, 'effectiveAt'> | null;
  dunningPolicy?: DunningPolicy;
  /** Set when Stripe made the subscription (dashboard, portal) and a Stripe event started this workflow. */
  stripeSubscriptionId?: string;
  /** Carried across continue-as-new. */
  carried?: { state: SubscriptionView; appliedEventIds: string[] };
  /** History length at which the run continues as new (tests lower it). */
  historyLimit?: number;
}

/** One run of a subscription's workflow: its state and what its steps share. */
export interface Run {
  readonly input: SubscriptionInput;
  readonly state: SubscriptionView;
  /** Ids of Stripe events already taken, so a redelivery is a no-op. */
  readonly applied: Set<string>;
  readonly inbox: StripeEventSignal[];
  readonly reports: DunningReport[];
  /** Prices this run put the subscription on (or found it on): any other one was chosen in Stripe. */
  readonly knownPrices: Set<string>;
  /** Updates, events, reports and timers each take their turn (see one-at-a-time). */
  readonly exclusive: <T>(step: () => Promise<T>) => Promise<T>;
  /** When Stripe still shows a carded trial past its end, look again then (not in a 1 ms loop). */
  trialRecheckAt: number;
  /** The snapshot last applied and the status it led to. */
  lastApplied: string;
  /** Looked at once per run: a subscription without the usage item cannot be billed overage. */
  usageItemChecked: boolean;
  /** Keycloak and Lago syncs, in order, off the main path (see access-sync). */
  syncChain: Promise<void>;
  /** Which steps this run makes as local activities (see local-steps). */
  readonly local: LocalSteps;
  /** Local activities' turns (see inTurn). */
  readonly localTurn: <T>(step: () => Promise<T>) => Promise<T>;
  syncedKey: string;
  /** What Lago was last told (lagoSyncKey); Keycloak's key above also holds the period end. */
  lagoSyncedKey: string | null;
}

export function startRun(input: SubscriptionInput): Run {
  const state: SubscriptionView = input.carried?.state ?? {
    subscriptionId: input.subscriptionId,
    customerId: input.customerId,
    email: input.email,
    status: 'incomplete',
    tier: input.plan.planCode,
    interval: input.plan.interval,
    amountCents: input.plan.amountCents,
    stripeSubscriptionId: input.stripeSubscriptionId ?? null,
    stripeCustomerId: null,
    itemId: null,
    priceId: input.plan.priceId,
    currentPeriodStart: null,
    currentPeriodEnd: null,
    trialEnd: null,
    cancelAtPeriodEnd: false,
    pendingChange: null,
    dunningInvoices: [],
    trialReminderSent: false,
  };
  return {
    input,
    state,
    applied: new Set(input.carried?.appliedEventIds ?? []),
    inbox: [],
    reports: [],
    knownPrices: new Set<string>(state.priceId ? [state.priceId] : []),
    exclusive: oneAtATime(),
    trialRecheckAt: 0,
    lastApplied: '',
    usageItemChecked: false,
    syncChain: Promise.resolve(),
    local: localSteps(),
    localTurn: oneAtATime(),
    syncedKey: '',
    lagoSyncedKey: '',
  };
}

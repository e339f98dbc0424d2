/** The trial tier: 7 days at trial limits for $1.00, then the plan the customer picked, or nothing. */
export const TRIAL_TIER = 'trial';

const HOUR_MS = 60 * 60 * 1000;
const DAY_MS = 24 * HOUR_MS;

/** The customer hears of the trial's end this long before it, with time left to pick a plan. */
export const TRIAL_REMINDER_BEFORE_END_MS = 2 * DAY_MS;

/**
 * The engine decides a trial-tier trial's fate this long before Stripe's `trial_end`: at `trial_end`
 * Stripe would otherwise convert it on its own at the trial price ($1/month forever) when a card is on file.
 */
export const TRIAL_DECISION_BEFORE_END_MS = HOUR_MS;

export type TrialEndAction =
  /** Move to the continuation plan and end the trial now: Stripe bills the new plan's first period. */
  | 'convert'
  /** Cancel in Stripe, nothing billed; access ends (status `expired`). */
  | 'expire'
  /** A paid plan's own trial: Stripe converts (card on file) or the subscription expires without a card. */
  | 'stripe_converts';

/**
 * What happens at the end of a trial. Only the trial tier is special: it never continues at its own price,
 * so without a chosen continuation (or with a cancellation pending) access ends.
 */
export function trialEndAction(t: {
  tier: string;
  hasContinuation: boolean;
  cancelAtPeriodEnd: boolean;
}): TrialEndAction {
  if (t.tier !== TRIAL_TIER) return 'stripe_converts';
  return t.hasContinuation && !t.cancelAtPeriodEnd ? 'convert' : 'expire';
}

/** When the workflow acts on a trial ending at `trialEndMs`. */
export function trialDecisionAt(tier: string, trialEndMs: number): number {
  return tier === TRIAL_TIER ? trialEndMs - TRIAL_DECISION_BEFORE_END_MS : trialEndMs;
}

/** A continuation must be a plan that bills: the trial tier (or a free one) cannot follow itself. */
export function isValidContinuation(planCode: string, amountCents: number): boolean {
  return planCode !== TRIAL_TIER && amountCents > 0;
}

/**
 * What a trial costs at signup ($1.00 for 7 days): the trial tier's own price, charged once on
 * the first invoice. A paid plan's trial days cost nothing up front.
 */
export function signupFeeCents(plan: { code: string; amountCents: number }): number {
  return plan.code === TRIAL_TIER ? plan.amountCents : 0;
}

/**
 * A paid plan's trial that starts without a card (Checkout asks for none), and what its end does when no
 * card came meanwhile: `free` ends the subscription (the customer is back on the free tier, Stripe
 * cancels), `ask_for_card` keeps it paused, without access, until a card is added (Stripe pauses).
 */
export const TRIAL_WITHOUT_CARD = ['free', 'ask_for_card'] as const;
export type TrialWithoutCard = (typeof TRIAL_WITHOUT_CARD)[number];

/** Stripe's `trial_settings.end_behavior.missing_payment_method` for a trial's end without a card. */
export function missingCardBehavior(without: TrialWithoutCard | null | undefined): 'cancel' | 'pause' {
  return without === 'ask_for_card' ? 'pause' : 'cancel';
}

/**
 * Why a plan cannot start trials without a card, naming the field; null when it can (or asks for a card).
 * The trial tier charges its $1.00 at signup, which takes a card; a plan without trial days has no trial.
 */
export function trialWithoutCardRefusal(plan: {
  code: string;
  trialDays: number;
  trialWithoutCard?: TrialWithoutCard | null;
}): { field: 'trial_without_card'; message: string } | null {
  if (!plan.trialWithoutCard) return null;
  if (plan.code === TRIAL_TIER)
    return {
      field: 'trial_without_card',
      message: 'The trial tier charges its price at signup, which needs a card',
    };
  if (plan.trialDays <= 0)
    return { field: 'trial_without_card', message: 'A trial without a card needs trial_days above 0' };
  return null;
}

/**
 * What a card added to a subscription whose trial began without one does. While the trial runs it becomes
 * the subscription's card, so Stripe converts at the end; once the trial ended paused for want of one, it
 * also resumes the subscription, which bills a fresh period at once. Anything else: nothing.
 */
export function cardForCardlessTrial(f: {
  trialWithoutCard: TrialWithoutCard | null | undefined;
  status: string;
  awaitingCard: boolean;
}): 'none' | 'keep' | 'keep_and_resume' {
  if (!f.trialWithoutCard) return 'none';
  if (f.awaitingCard && f.status === 'paused') return 'keep_and_resume';
  return f.status === 'trialing' ? 'keep' : 'none';
}

import { ApplicationFailure, SearchAttributeType } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Activities, NotificationInput } from '../../activities';
import type { InvoiceSnapshot, SubscriptionSnapshot } from '../../domain/stripe-snapshots';
import type { SubscriptionInput } from '../../workflows/subscription';
import type { StripeEventSignal } from '../../workflows/messages';
import { ALL_SEARCH_ATTRIBUTES } from '../../workflows/search-attributes';
import { DEFAULT_DUNNING_POLICY, type DunningPolicy } from '../../domain/dunning-policy';
import { waitUntil } from './eventually';

export const DAY = 24 * 60 * 60 * 1000;
export const HOUR = 60 * 60 * 1000;

/** The plan catalog the fakes know: price id → amount and interval. */
export const PRICES: Record<string, { planCode: string; amountCents: number; interval: 'month' | 'year' }> = {
  price_trial_m: { planCode: 'trial', amountCents: 100, interval: 'month' },
  price_starter_m: { planCode: 'starter', amountCents: 1900, interval: 'month' },
  price_pro_m: { planCode: 'pro', amountCents: 4900, interval: 'month' },
  /** A newer version of pro (an admin raised the price). */
  price_pro_v2_m: { planCode: 'pro', amountCents: 5900, interval: 'month' },
  price_ent_m: { planCode: 'enterprise', amountCents: 9900, interval: 'month' },
};

export const STARTER: SubscriptionInput['plan'] = {
  planId: 'plan_starter',
  planCode: 'starter',
  priceId: 'price_starter_m',
  amountCents: 1900,
  interval: 'month',
  trialDays: 7,
};

/** The seeds' trial tier: 7 days, then the chosen plan or nothing. */
export const TRIAL: SubscriptionInput['plan'] = {
  planId: 'plan_trial',
  planCode: 'trial',
  priceId: 'price_trial_m',
  amountCents: 100,
  interval: 'month',
  trialDays: 7,
};

/** The trial tier as checkouts start it now: $1.00 charged at signup. */
export const PAID_TRIAL: SubscriptionInput['plan'] = {
  ...TRIAL,
  signupFee: { amountCents: 100, currency: 'usd', stripeProductId: 'prod_trial' },
};

export const PRO_CHANGE = {
  planCode: 'pro',
  planId: 'plan_pro',
  priceId: 'price_pro_m',
  usagePriceId: 'price_pro_usage_m',
  amountCents: 4900,
  interval: 'month' as const,
};

export function subscriptionSnapshot(
  id: string,
  overrides: Partial<SubscriptionSnapshot> = {},
): SubscriptionSnapshot {
  return {
    stripeSubscriptionId: id,
    stripeCustomerId: `cus_${id}`,
    status: 'active',
    pausedCollection: false,
    priceId: 'price_starter_m',
    itemId: `si_${id}`,
    usageItemId: null,
    amountCents: 1900,
    interval: 'month',
    currentPeriodStart: null,
    currentPeriodEnd: null,
    trialEnd: null,
    cancelAtPeriodEnd: false,
    canceledAt: null,
    hasPaymentMethod: true,
    ...overrides,
  };
}

export function openInvoice(id: string, stripeSubscriptionId: string): InvoiceSnapshot {
  return {
    stripeInvoiceId: id,
    stripeSubscriptionId,
    status: 'open',
    amountDueCents: 1900,
    amountPaidCents: 0,
    hostedInvoiceUrl: `https://invoice.test/${id}`,
    attemptCount: 1,
  };
}

let eventSeq = 0;
/** A Stripe event as the API forwards it to the workflow. */
export function stripeEventOf(
  type: string,
  objectId: string,
  stripeSubscriptionId: string | null,
  id = `evt_${++eventSeq}_${Date.now()}`,
): StripeEventSignal {
  return { id, type, created: Math.floor(Date.now() / 1000), objectId, stripeSubscriptionId };
}

export interface FakeStripeOptions {
  subscription: SubscriptionSnapshot;
  /** The policy an admin set (the default when not given). */
  dunningPolicy?: DunningPolicy;
  invoices?: InvoiceSnapshot[];
  /** What the customer table says (the trial-end check asks it when Stripe shows no card). */
  customerHasPaymentMethod?: boolean;
  /** What `usagePriceFor` answers: the metered price beside each plan price; none by default. */
  usagePrices?: Record<string, string>;
  /** Whether the n-th payment attempt (1-based) of an invoice succeeds; declines by default. */
  /** `paymentMethodId`: the card the attempt names (a card just added); absent, Stripe's default. */
  paymentSucceeds?: (attempt: number, invoiceId: string, paymentMethodId?: string) => boolean;
  /**
   * Stripe converts a trial with a card on file once this long after its end has passed (as a real Stripe
   * does a little after `trial_end`); undefined: never on its own.
   */
  trialConversionLagMs?: number;
  /** The card paying for a trial already paid for another customer's trial. */
  trialCardTaken?: boolean;
}

type Fakes = Pick<
  Activities,
  | 'ensureStripeCustomer'
  | 'createCheckoutSession'
  | 'fetchSubscription'
  | 'changeSubscriptionPrice'
  | 'setCancelAtPeriodEnd'
  | 'cancelSubscriptionNow'
  | 'setPaused'
  | 'fetchInvoice'
  | 'payInvoice'
  | 'createSubscriptionRecord'
  | 'recordSubscriptionState'
  | 'recordPendingChange'
  | 'customerHasPaymentMethod'
  | 'usagePriceFor'
  | 'queueNotification'
  | 'syncPaymentMethods'
  | 'syncLagoCustomer'
  | 'syncLagoSubscription'
  | 'syncKeycloakUser'
  | 'currentDunningPolicy'
  | 'planCodeOfPrice'
  | 'claimTrialCard'
  | 'refundInvoiceCharge'
  | 'setCancelAt'
  | 'keepTrialCard'
>;
type Mocked<T> = { [K in keyof T]: T[K] extends (...args: infer A) => infer R ? jest.Mock<R, A> : never };
/** A jest.fn typed as the real activity, so a changed signature breaks the fakes at compile time. */
const fake = <K extends keyof Fakes>(impl: (...args: Parameters<Fakes[K]>) => ReturnType<Fakes[K]>) =>
  jest.fn(impl);

/**
 * A tiny in-memory Stripe and database behind the subscription and dunning workflows' activities:
 * the fakes mutate one subscription snapshot and a few invoices, and note when (in the test server's
 * skipped time) notifications and payment attempts happened.
 */
export function fakeBilling(env: TestWorkflowEnvironment, opts: FakeStripeOptions) {
  const sub: SubscriptionSnapshot = { ...opts.subscription };
  const invoices = new Map((opts.invoices ?? []).map((i) => [i.stripeInvoiceId, { ...i }]));
  const notifications: { input: NotificationInput; at: number }[] = [];
  const payments: { invoiceId: string; attempt: number; at: number; outcome: 'paid' | 'declined' }[] = [];
  /** The database mirror's pending plan change, as the workflow last recorded it. */
  const mirror: { pending: Parameters<Fakes['recordPendingChange']>[0]['pending'] } = { pending: null };
  /** Renewal invoices, billed at the price the subscription is on when Stripe renews it. */
  const renewals: { priceId: string | null; amountCents: number; periodStart: string | null }[] = [];
  const now = () => env.currentTimeMs();
  const snap = (): SubscriptionSnapshot => ({ ...sub });

  const activities: Mocked<Fakes> = {
    ensureStripeCustomer: fake<'ensureStripeCustomer'>(async () => sub.stripeCustomerId),
    createCheckoutSession: fake<'createCheckoutSession'>(async () => ({
      sessionId: 'cs_test',
      url: 'https://checkout.test/cs_test',
    })),
    fetchSubscription: fake<'fetchSubscription'>(async (id) => {
      expect(id).toBe(sub.stripeSubscriptionId);
      const t = await now();
      if (
        sub.status === 'trialing' &&
        sub.trialEnd &&
        sub.hasPaymentMethod &&
        opts.trialConversionLagMs !== undefined &&
        t >= Date.parse(sub.trialEnd) + opts.trialConversionLagMs
      ) {
        const start = Date.parse(sub.trialEnd);
        Object.assign(sub, {
          status: 'active',
          currentPeriodStart: new Date(start).toISOString(),
          currentPeriodEnd: new Date(start + 30 * DAY).toISOString(),
        });
      }
      return snap();
    }),
    changeSubscriptionPrice: fake<'changeSubscriptionPrice'>(async (c) => {
      const price = PRICES[c.priceId];
      if (!price) throw ApplicationFailure.nonRetryable(`no price ${c.priceId}`, 'InvalidRequest');
      Object.assign(sub, { priceId: c.priceId, amountCents: price.amountCents, interval: price.interval });
      if (c.endTrialNow && sub.status === 'trialing') {
        // Stripe ends the trial at once and bills the new price's first period.
        const t = await now();
        Object.assign(sub, {
          status: 'active',
          trialEnd: new Date(t).toISOString(),
          currentPeriodStart: new Date(t).toISOString(),
          currentPeriodEnd: new Date(t + 30 * DAY).toISOString(),
        });
        renewals.push({
          priceId: sub.priceId,
          amountCents: sub.amountCents ?? 0,
          periodStart: sub.currentPeriodStart,
        });
      }
      // The usage item follows the plan as Stripe's would: swapped, added, or removed.
      if (c.usagePriceId !== undefined)
        sub.usageItemId = c.usagePriceId ? (c.usageItemId ?? `si_usage_${sub.stripeSubscriptionId}`) : null;
      return snap();
    }),
    setCancelAtPeriodEnd: fake<'setCancelAtPeriodEnd'>(async (req) => {
      sub.cancelAtPeriodEnd = req.cancel;
      return snap();
    }),
    cancelSubscriptionNow: fake<'cancelSubscriptionNow'>(async () => {
      if (sub.status !== 'canceled') {
        sub.status = 'canceled';
        sub.canceledAt = new Date(await now()).toISOString();
      }
      return snap();
    }),
    setPaused: fake<'setPaused'>(async (req) => {
      sub.pausedCollection = req.paused;
      return snap();
    }),
    fetchInvoice: fake<'fetchInvoice'>(async (id) => {
      const inv = invoices.get(id);
      if (!inv) throw ApplicationFailure.nonRetryable(`no invoice ${id}`, 'NotFound');
      return { ...inv };
    }),
    payInvoice: fake<'payInvoice'>(
      async (req: { stripeInvoiceId: string; attempt: number; paymentMethodId?: string }) => {
        const inv = invoices.get(req.stripeInvoiceId);
        if (!inv) throw ApplicationFailure.nonRetryable(`no invoice ${req.stripeInvoiceId}`, 'NotFound');
        if (inv.status !== 'open') return { ...inv };
        const ok = opts.paymentSucceeds?.(req.attempt, req.stripeInvoiceId, req.paymentMethodId) ?? false;
        payments.push({
          invoiceId: req.stripeInvoiceId,
          attempt: req.attempt,
          at: await now(),
          outcome: ok ? 'paid' : 'declined',
        });
        inv.attemptCount += 1;
        if (!ok) {
          throw ApplicationFailure.create({
            message: 'Your card was declined.',
            type: 'CardDeclined',
            nonRetryable: true,
          });
        }
        markPaid(req.stripeInvoiceId);
        return { ...inv };
      },
    ),
    createSubscriptionRecord: fake<'createSubscriptionRecord'>(async () => {}),
    recordSubscriptionState: fake<'recordSubscriptionState'>(async () => {}),
    recordPendingChange: fake<'recordPendingChange'>(async (req) => {
      mirror.pending = req.pending;
    }),
    customerHasPaymentMethod: fake<'customerHasPaymentMethod'>(
      async () => opts.customerHasPaymentMethod ?? false,
    ),
    usagePriceFor: fake<'usagePriceFor'>(async (priceId) => opts.usagePrices?.[priceId] ?? null),
    queueNotification: fake<'queueNotification'>(async (input) => {
      notifications.push({ input, at: await now() });
      return { queued: true, sent: false };
    }),
    syncPaymentMethods: fake<'syncPaymentMethods'>(async () => ({ cards: 1 })),
    // As a worker with Lago settings answers; a test of a worker without them answers skipped itself.
    syncLagoCustomer: fake<'syncLagoCustomer'>(async (input) => ({
      skipped: false as const,
      lagoCustomerId: `lago_${input.customerId}`,
    })),
    syncLagoSubscription: fake<'syncLagoSubscription'>(async () => ({ skipped: true as const })),
    syncKeycloakUser: fake<'syncKeycloakUser'>(async () => ({ userId: null, changed: false })),
    planCodeOfPrice: fake<'planCodeOfPrice'>(async (priceId) => {
      const price = PRICES[priceId];
      return price ? { planCode: price.planCode, planId: `plan_${price.planCode}` } : null;
    }),
    setCancelAt: fake<'setCancelAt'>(async () => snap()),
    claimTrialCard: fake<'claimTrialCard'>(async () => ({
      fingerprint: 'fp_4242',
      refused: opts.trialCardTaken ?? false,
      signupInvoiceId: `in_signup_${sub.stripeSubscriptionId}`,
    })),
    refundInvoiceCharge: fake<'refundInvoiceCharge'>(async (req) => ({
      refundId: `re_${req.idempotencyKey}`,
      stripeChargeId: 'ch_signup',
      stripeInvoiceId: req.invoiceId,
      amountCents: req.amountCents ?? 100,
      currency: 'usd',
      chargeAmountCents: 100,
      amountRefundedCents: req.amountCents ?? 100,
      refunded: true,
    })),
    // The card becomes the subscription's; a subscription paused for want of one starts a billed period now.
    keepTrialCard: fake<'keepTrialCard'>(async (req) => {
      sub.hasPaymentMethod = true;
      if (req.resume && sub.status === 'paused') {
        const t = await now();
        Object.assign(sub, {
          status: 'active',
          currentPeriodStart: new Date(t).toISOString(),
          currentPeriodEnd: new Date(t + 30 * DAY).toISOString(),
        });
        renewals.push({
          priceId: sub.priceId,
          amountCents: sub.amountCents ?? 0,
          periodStart: sub.currentPeriodStart,
        });
      }
      return snap();
    }),
    currentDunningPolicy: fake<'currentDunningPolicy'>(
      async () => opts.dunningPolicy ?? DEFAULT_DUNNING_POLICY,
    ),
  };

  /** Stripe's side of a paid invoice: the invoice is paid and a past-due subscription is active again. */
  function markPaid(invoiceId: string): void {
    const inv = invoices.get(invoiceId);
    if (!inv) throw new Error(`no invoice ${invoiceId}`);
    Object.assign(inv, { status: 'paid', amountPaidCents: inv.amountDueCents });
    if (sub.status === 'past_due' || sub.status === 'unpaid') sub.status = 'active';
  }

  /** Stripe's renewal: a new period, invoiced in advance at the subscription's current price. */
  function renew(): void {
    const start = sub.currentPeriodEnd ?? new Date(0).toISOString();
    Object.assign(sub, {
      currentPeriodStart: start,
      currentPeriodEnd: new Date(Date.parse(start) + 30 * DAY).toISOString(),
    });
    renewals.push({ priceId: sub.priceId, amountCents: sub.amountCents ?? 0, periodStart: start });
  }

  return {
    activities,
    /** Stripe's current subscription: tests change it as Stripe would. */
    subscription: sub,
    mirror,
    renewals,
    renew,
    invoices,
    notifications,
    payments,
    markPaid,
    kinds: () => notifications.map((n) => n.input.kind),
  };
}

/** Polls (in real time, without skipping any) until `check` holds; queries do not advance the clock. */
export function eventually<T>(
  read: () => Promise<T>,
  check: (value: T) => boolean,
  timeoutMs = 15_000,
): Promise<T> {
  return waitUntil(read, check, 'the condition', timeoutMs, 50);
}

/**
 * The time-skipping server knows none of the engine's search attributes, and a workflow that upserts an
 * unknown one fails its task ("BadSearchAttributes: search attribute PlanTier is not defined"); its
 * operator service registers them, as the dev server's `--search-attribute` flag does.
 */
export async function registerSearchAttributes(env: TestWorkflowEnvironment): Promise<void> {
  const { IndexedValueType } = temporal.api.enums.v1;
  const types: Partial<Record<string, temporal.api.enums.v1.IndexedValueType>> = {
    [SearchAttributeType.KEYWORD]: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
    [SearchAttributeType.DATETIME]: IndexedValueType.INDEXED_VALUE_TYPE_DATETIME,
  };
  await env.connection.operatorService.addSearchAttributes({
    namespace: env.namespace ?? 'default',
    searchAttributes: Object.fromEntries(
      ALL_SEARCH_ATTRIBUTES.map((k) => {
        const type = types[k.type];
        if (type === undefined) throw new Error(`no indexed type for ${k.type}`);
        return [k.name, type];
      }),
    ),
  });
}

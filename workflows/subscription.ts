import {
  ActivityFailure,
  condition,
  log,
  continueAsNew,
  getExternalWorkflowHandle,
  ParentClosePolicy,
  proxyActivities,
  proxyLocalActivities,
  setCurrentDetails,
  setHandler,
  startChild,
  upsertSearchAttributes,
  workflowInfo,
  allHandlersFinished,
  isCancellation,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { SubscriptionSnapshot } from '../activities/stripe/snapshots';
import { DEFAULT_DUNNING_POLICY, type DunningPolicy } from '../domain/dunning-policy';
import { fromStripeStatus, isFinal, type SubscriptionStatus } from '../domain/subscription-status';
import {
  TRIAL_REMINDER_BEFORE_END_MS,
  TRIAL_TIER,
  trialDecisionAt,
  trialEndAction,
  type TrialEndAction,
} from '../domain/trial';
import {
  dbActivityOptions,
  externalActivityOptions,
  outsideActivityOptions,
  stripeReadLocalOptions,
} from './activity-options';
import { dunningWorkflow } from './dunning';
import { workflowIds } from './ids';
import { oneAtATime } from './one-at-a-time';
import {
  beginCheckout,
  cancelSubscription,
  changePlan,
  dunningReport,
  invoicePaid,
  pauseSubscription,
  paymentMethodAttached,
  resumeSubscription,
  stripeEvent,
  subscriptionState,
  type DunningReport,
  type PendingChange,
  type PlanChangeRequest,
  type StripeEventSignal,
  type SubscriptionView,
} from './messages';
import {
  CustomerEmail,
  CustomerId,
  NextBillingAt,
  PlanTier,
  SubscriptionStatus as StatusAttr,
} from './search-attributes';

const stripe = proxyActivities<Activities>(externalActivityOptions);
const stripeRead = proxyLocalActivities<Activities>(stripeReadLocalOptions);
const db = proxyActivities<Activities>(dbActivityOptions);
const outside = proxyActivities<Activities>(outsideActivityOptions);

const HOUR_MS = 60 * 60 * 1000;
/** Continue-as-new well before Temporal's history limits; the ids of applied events travel along. */
const HISTORY_EVENTS_BEFORE_CONTINUE = 2_000;
const REMEMBERED_EVENT_IDS = 500;

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
    /** Charged once at checkout (the trial tier's $1.00); absent on runs started before it existed. */
    signupFee?: { amountCents: number; currency: string; stripeProductId: string } | null;
  };
  /**
   * A trial-tier trial's plan to continue with, picked at signup: it becomes the pending change (effective
   * at the trial's end) as soon as Stripe shows the trial running.
   */
  continuation?: Omit<PendingChange, 'effectiveAt'> | null;
  dunningPolicy?: DunningPolicy;
  /** Set when Stripe made the subscription (dashboard, portal) and a webhook started this workflow. */
  stripeSubscriptionId?: string;
  /** Carried across continue-as-new. */
  carried?: { state: SubscriptionView; appliedEventIds: string[] };
  /** History length at which the run continues as new (tests lower it). */
  historyLimit?: number;
}

/** Owns one subscription's life (id `subscription-<id>`): checkout, trial, plan changes, dunning, cancel. */
export async function subscriptionWorkflow(input: SubscriptionInput): Promise<SubscriptionView> {
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
  const applied = new Set(input.carried?.appliedEventIds ?? []);
  const inbox: StripeEventSignal[] = [];
  const reports: DunningReport[] = [];
  /** When Stripe still shows a carded trial past its end, look again then (not in a 1 ms loop). */
  let trialRecheckAt = 0;
  /** Prices this run put the subscription on (or found it on): any other one was chosen in Stripe. */
  const knownPrices = new Set<string>(state.priceId ? [state.priceId] : []);

  const exclusive = oneAtATime();

  setHandler(subscriptionState, () => state);
  setHandler(stripeEvent, (e) => {
    if (!applied.has(e.id) && !inbox.some((x) => x.id === e.id)) inbox.push(e);
  });
  setHandler(dunningReport, (r) => void reports.push(r));

  setHandler(
    beginCheckout,
    async (urls) =>
      exclusive(async () => {
        const stripeCustomerId = await stripe.ensureStripeCustomer(state.customerId);
        state.stripeCustomerId = stripeCustomerId;
        return stripe.createCheckoutSession({
          subscriptionId: state.subscriptionId,
          stripeCustomerId,
          priceId: input.plan.priceId,
          usagePriceId: input.plan.usagePriceId ?? null,
          trialDays: input.plan.trialDays,
          signupFee: input.plan.signupFee ?? null,
          successUrl: urls.successUrl,
          cancelUrl: urls.cancelUrl,
        });
      }),
    {
      validator: (_urls) => {
        if (state.status !== 'incomplete' || state.stripeSubscriptionId) {
          throw new Error(`subscription is ${state.status}; checkout is only for a new subscription`);
        }
      },
    },
  );

  setHandler(
    changePlan,
    async (req) =>
      exclusive(async () => {
        const replaced = state.pendingChange;
        if (req.when === 'period_end') {
          const effectiveAt = state.currentPeriodEnd as string;
          await setPending({ ...req, effectiveAt });
          await publish();
          return {
            status: 'scheduled' as const,
            effectiveAt,
            tier: req.planCode,
            replacedPendingChange: replaced,
          };
        }
        // A new version of the same plan and cycle (an admin's migration) is not the customer's choice:
        // their pending change still applies at period end.
        const keep = isMigration(req) ? replaced : null;
        await switchPrice(req, 'always_invoice', keep);
        return {
          status: 'applied' as const,
          effectiveAt: new Date(Date.now()).toISOString(),
          tier: req.planCode,
          replacedPendingChange: keep ? null : replaced,
        };
      }),
    {
      validator: (req) => {
        requireLive();
        // Same plan and cycle is a no-op, unless it is a newer version's price (an admin's migration).
        const samePrice = state.priceId ? req.priceId === state.priceId : true;
        if (req.planCode === state.tier && req.interval === state.interval && samePrice) {
          throw new Error(`already on ${req.planCode} (${req.interval})`);
        }
        if (req.when === 'period_end' && !state.currentPeriodEnd)
          throw new Error('the subscription has no period yet');
        const pending = state.pendingChange;
        if (req.when === 'period_end' && isMigration(req) && pending && !isMigration(pending)) {
          throw new Error(
            `a change to ${pending.planCode} (${pending.interval}) is pending for ${pending.effectiveAt}; ` +
              'it replaces this plan then, so there is nothing to migrate',
          );
        }
      },
    },
  );

  setHandler(
    cancelSubscription,
    async (req) =>
      exclusive(async () => {
        const id = state.stripeSubscriptionId as string;
        const snap = req.atPeriodEnd
          ? await stripe.setCancelAtPeriodEnd({
              stripeSubscriptionId: id,
              cancel: true,
              changeKey: req.requestId,
            })
          : await stripe.cancelSubscriptionNow({ stripeSubscriptionId: id, changeKey: req.requestId });
        // At period end the customer may still resume, and then gets the change they asked for; cancelling
        // now ends the subscription and the change with it, which the answer says.
        const keep = req.atPeriodEnd;
        const canceledPendingChange = keep ? null : state.pendingChange;
        if (!keep) await setPending(null);
        await applySnapshot(snap);
        return { ...state, canceledPendingChange };
      }),
    { validator: (_req) => requireLive() },
  );

  setHandler(
    resumeSubscription,
    async (req) =>
      exclusive(async () => {
        const snap = await stripe.setCancelAtPeriodEnd({
          stripeSubscriptionId: state.stripeSubscriptionId as string,
          cancel: false,
          changeKey: req.requestId,
        });
        await applySnapshot(snap);
        // Resuming clears Stripe's cancel_at too, and with it the trial's own end: set it again.
        if (isTrialTierTrial() && input.plan.signupFee && state.trialEnd) {
          await stripe.setCancelAt({
            stripeSubscriptionId: snap.stripeSubscriptionId,
            at: state.trialEnd,
            changeKey: `trial-ends:${state.subscriptionId}:${req.requestId}`,
          });
        }
        return state;
      }),
    {
      validator: (_req) => {
        requireLive();
        if (!state.cancelAtPeriodEnd) throw new Error('no cancellation is pending');
      },
    },
  );

  setHandler(
    pauseSubscription,
    async (req) =>
      exclusive(async () => {
        const snap = await stripe.setPaused({
          stripeSubscriptionId: state.stripeSubscriptionId as string,
          paused: req.paused,
          changeKey: req.requestId,
        });
        await applySnapshot(snap);
        return state;
      }),
    {
      validator: (req) => {
        requireLive();
        if (req.paused === (state.status === 'paused'))
          throw new Error(req.paused ? 'already paused' : 'not paused');
      },
    },
  );

  /**
   * Moves the subscription to another price in Stripe; an upgrade invoices the proration at once. The
   * pending change becomes `keep` (null: this change replaces it).
   */
  async function switchPrice(
    to: { planCode: string; priceId: string; usagePriceId?: string | null; requestId: string },
    prorationBehavior: 'always_invoice' | 'none',
    keep: PendingChange | null = null,
    endTrialNow = false,
  ): Promise<void> {
    const before = state.pendingChange;
    // At once, so the period-end timer cannot apply a change this one replaces while Stripe answers.
    state.pendingChange = keep;
    if (state.priceId) knownPrices.add(state.priceId);
    knownPrices.add(to.priceId);
    let snap: SubscriptionSnapshot;
    try {
      snap = await stripe.changeSubscriptionPrice({
        stripeSubscriptionId: state.stripeSubscriptionId as string,
        itemId: state.itemId as string,
        priceId: to.priceId,
        usageItemId: state.usageItemId ?? null,
        usagePriceId: to.usagePriceId,
        prorationBehavior,
        changeKey: to.requestId,
        ...(endTrialNow ? { endTrialNow } : {}),
      });
    } catch (err) {
      // A refused change (a declined upgrade) leaves the customer's earlier request standing.
      if (state.pendingChange === keep) state.pendingChange = before;
      throw err;
    }
    state.tier = to.planCode;
    if (keep !== before) await mirrorPending();
    await applySnapshot(snap);
  }

  /** Same plan and cycle as now: only the price differs (a new plan version). */
  function isMigration(c: Pick<PlanChangeRequest, 'planCode' | 'interval'>): boolean {
    return c.planCode === state.tier && c.interval === state.interval;
  }

  /** Changes the pending plan change and the mirror's copy of it, which reads show. */
  async function setPending(next: PendingChange | null): Promise<void> {
    if (next === state.pendingChange) return;
    state.pendingChange = next;
    await mirrorPending();
  }

  async function mirrorPending(): Promise<void> {
    const p = state.pendingChange;
    await db.recordPendingChange({
      subscriptionId: state.subscriptionId,
      pending: p
        ? { tier: p.planCode, interval: p.interval, amountCents: p.amountCents, effectiveAt: p.effectiveAt }
        : null,
    });
  }

  /**
   * A price chosen in Stripe itself (dashboard, portal) is a newer decision than the one waiting for
   * period end, so that one is withdrawn rather than applied over it.
   */
  async function reconcilePending(snap: SubscriptionSnapshot): Promise<void> {
    const pending = state.pendingChange;
    if (!pending || !snap.priceId || snap.priceId === state.priceId || knownPrices.has(snap.priceId)) return;
    log.warn('plan changed in Stripe; the pending change is withdrawn', {
      pendingTier: pending.planCode,
      stripePriceId: snap.priceId,
    });
    await setPending(null);
  }

  /**
   * A plan chosen in Stripe's portal or dashboard moves the tier too, so access (Keycloak, Lago, quotas)
   * follows what the customer now pays for, not only the database mirror.
   */
  async function followPlanChosenInStripe(snap: SubscriptionSnapshot): Promise<void> {
    if (!snap.priceId || knownPrices.has(snap.priceId)) return;
    const owner = await db.planCodeOfPrice(snap.priceId);
    knownPrices.add(snap.priceId);
    if (!owner) {
      log.warn('Stripe price belongs to no plan; the tier stays', { stripePriceId: snap.priceId });
      return;
    }
    state.tier = owner.planCode;
  }

  function requireLive(): void {
    if (!state.stripeSubscriptionId || isFinal(state.status) || state.status === 'incomplete') {
      throw new Error(`subscription is ${state.status}`);
    }
  }

  /** Search attributes and the run's details, so an operator can find and read it in the Temporal UI. */
  async function publish(): Promise<void> {
    upsertSearchAttributes([
      { key: CustomerId, value: state.customerId },
      { key: CustomerEmail, value: state.email },
      { key: PlanTier, value: state.tier },
      { key: StatusAttr, value: state.status },
      { key: NextBillingAt, value: state.currentPeriodEnd ? new Date(state.currentPeriodEnd) : null },
    ]);
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
    setCurrentDetails(lines.filter(Boolean).join('\n\n'));
  }

  /**
   * Keycloak and Lago follow every change of status or tier. The syncs run in order on a chain of their
   * own, so an outage there (retried until it is back) never holds up Stripe's events; the run waits for
   * the chain before it continues as new or ends.
   */
  let outsideChain: Promise<void> = Promise.resolve();
  let syncedKey = '';
  function syncOutside(): void {
    outsideChain = outsideChain.then(async () => {
      const key = [state.status, state.tier, state.currentPeriodEnd].join('|');
      if (key === syncedKey || state.status === 'incomplete') return;
      syncedKey = key;
      // Each system on its own: Lago refusing a plan code must not keep Keycloak's access stale, nor
      // one failure stop the syncs of later changes (a rejected link would end the whole chain).
      await reportedSync('keycloak', () =>
        outside.syncKeycloakUser({
          email: state.email,
          attributes: {
            subscription_tier: state.tier,
            subscription_status: state.status,
            stripe_customer_id: state.stripeCustomerId,
            stripe_subscription_id: state.stripeSubscriptionId,
            subscription_start_date: state.currentPeriodStart,
            subscription_end_date: state.currentPeriodEnd,
          },
        }),
      );
      await reportedSync('lago', async () => {
        await outside.syncLagoCustomer({ customerId: state.customerId, email: state.email });
        await outside.syncLagoSubscription({
          subscriptionId: state.subscriptionId,
          customerId: state.customerId,
          planCode: state.tier,
          status: state.status,
        });
      });
    });
  }

  /** A sync that failed for good is logged and shown in the run's details and state; later ones still run. */
  async function reportedSync(system: 'keycloak' | 'lago', sync: () => Promise<unknown>): Promise<void> {
    try {
      await sync();
      if (state.syncFailures?.some((f) => f.system === system)) {
        state.syncFailures = state.syncFailures.filter((f) => f.system !== system);
        await publish();
      }
    } catch (err) {
      if (!(err instanceof ActivityFailure)) throw err;
      const error = String(err.cause ?? err.message).slice(0, 300);
      log.warn('sync failed for good', { system, tier: state.tier, status: state.status, error });
      state.syncFailures = [
        ...(state.syncFailures ?? []).filter((f) => f.system !== system),
        { system, error, at: new Date().toISOString() },
      ];
      await publish();
    }
  }

  async function setStatus(
    status: SubscriptionStatus,
    snap: SubscriptionSnapshot | null = null,
  ): Promise<void> {
    state.status = status;
    // An ended subscription switches to nothing.
    if (isFinal(status)) await setPending(null);
    await db.recordSubscriptionState({ subscriptionId: state.subscriptionId, snapshot: snap, status });
    syncOutside();
    await publish();
  }

  /** The snapshot last applied and the status it led to. */
  let lastApplied = '';

  async function applySnapshot(snap: SubscriptionSnapshot): Promise<void> {
    // Dunning's suspension holds until the invoice is paid, whatever Stripe's status says meanwhile.
    const next =
      state.status === 'suspended' && state.dunningInvoices.length > 0 && snap.status !== 'canceled'
        ? 'suspended'
        : fromStripeStatus(snap.status, state.status, snap.pausedCollection);
    const key = JSON.stringify([snap, next]);
    // Stripe often says again what it said before (a burst of customer.subscription.updated re-reads the
    // same object): the mirror, Keycloak, Lago and the search attributes show it already, so skip the writes.
    if (key === lastApplied && next === state.status) return;
    const trialStarts = state.status === 'incomplete' && next === 'trialing';
    // Only runs that charged a signup fee claim the card, so histories from before it replay unchanged.
    if (trialStarts && input.plan.signupFee && !(await claimTrialCard(snap))) return;
    lastApplied = key;
    state.stripeSubscriptionId = snap.stripeSubscriptionId;
    state.stripeCustomerId = snap.stripeCustomerId;
    state.itemId = snap.itemId;
    state.usageItemId = snap.usageItemId;
    state.priceId = snap.priceId;
    state.amountCents = snap.amountCents;
    state.interval = snap.interval;
    state.currentPeriodStart = snap.currentPeriodStart;
    state.currentPeriodEnd = snap.currentPeriodEnd;
    state.trialEnd = snap.trialEnd;
    state.cancelAtPeriodEnd = snap.cancelAtPeriodEnd;
    await setStatus(next, snap);
    // Stripe ends the trial at its end by itself should the engine not decide first (a worker down that
    // hour): the price it would otherwise convert to is the trial's, at trial limits. Converting clears it.
    if (trialStarts && input.plan.signupFee && state.trialEnd && state.tier === TRIAL_TIER) {
      await stripe.setCancelAt({
        stripeSubscriptionId: snap.stripeSubscriptionId,
        at: state.trialEnd,
        changeKey: `trial-ends:${state.subscriptionId}`,
      });
    }
    // Only runs started with a pick take this path, so histories from before it replay unchanged.
    if (trialStarts && input.continuation && state.trialEnd && !state.pendingChange) {
      await setPending({ ...input.continuation, effectiveAt: state.trialEnd });
      await publish();
    }
  }

  /**
   * One trial per card: a card that already paid for another customer's trial cannot start this one. It
   * ends before any access is granted, and the signup fee goes back to the card. False when refused.
   */
  async function claimTrialCard(snap: SubscriptionSnapshot): Promise<boolean> {
    const claim = await stripe.claimTrialCard({
      subscriptionId: state.subscriptionId,
      stripeSubscriptionId: snap.stripeSubscriptionId,
    });
    if (!claim.refused) return true;
    log.warn('trial refused: its card already paid for another trial', {
      subscriptionId: state.subscriptionId,
    });
    const canceled = await stripe.cancelSubscriptionNow({
      stripeSubscriptionId: snap.stripeSubscriptionId,
      changeKey: `trial-refused:${state.subscriptionId}`,
    });
    if (claim.signupInvoiceId) {
      try {
        await stripe.refundInvoiceCharge({
          invoiceId: claim.signupInvoiceId,
          reason: 'trial_already_used',
          idempotencyKey: `trial-refused:${state.subscriptionId}`,
          actorId: 'billing-engine',
          actorEmail: null,
        });
      } catch (err) {
        // The trial stays refused; an operator can refund from the admin routes.
        if (!(err instanceof ActivityFailure)) throw err;
        log.warn('signup fee of a refused trial not refunded', { error: String(err.cause) });
      }
    }
    await db.queueNotification({
      customerId: state.customerId,
      email: state.email,
      kind: 'trial_refused',
      dedupeKey: `trial_refused:${state.subscriptionId}`,
      payload: { reason: 'trial_already_used', refundedInvoiceId: claim.signupInvoiceId },
    });
    await applySnapshot(canceled);
    return false;
  }

  async function refresh(): Promise<void> {
    if (!state.stripeSubscriptionId) return;
    const snap = await stripeRead.fetchSubscription(state.stripeSubscriptionId);
    await reconcilePending(snap);
    await followPlanChosenInStripe(snap);
    await applySnapshot(snap);
    await ensureUsageItem();
  }

  /** Looked at once per run: a subscription without the usage item cannot be billed overage. */
  let usageItemChecked = false;

  /**
   * A subscription made in Stripe's dashboard or portal, or before the plan had a metered price, gets
   * its plan's usage item, so its overage is invoiced like everyone else's.
   */
  async function ensureUsageItem(): Promise<void> {
    if (usageItemChecked || state.usageItemId || !state.priceId || !state.itemId) return;
    if (!['active', 'trialing', 'past_due'].includes(state.status)) return;
    usageItemChecked = true;
    const usagePriceId = await db.usagePriceFor(state.priceId);
    if (!usagePriceId) return;
    const snap = await stripe.changeSubscriptionPrice({
      stripeSubscriptionId: state.stripeSubscriptionId as string,
      itemId: state.itemId,
      priceId: state.priceId,
      usageItemId: null,
      usagePriceId,
      prorationBehavior: 'none',
      changeKey: `usage-item:${state.subscriptionId}:${usagePriceId}`,
    });
    await applySnapshot(snap);
  }

  async function handleEvent(e: StripeEventSignal): Promise<void> {
    if (e.stripeSubscriptionId && !state.stripeSubscriptionId)
      state.stripeSubscriptionId = e.stripeSubscriptionId;
    switch (e.type) {
      case 'invoice.payment_failed': {
        const inv = await stripe.fetchInvoice(e.objectId);
        // A late failure for an invoice that has since been paid or voided starts nothing.
        if (inv.status === 'open' && !state.dunningInvoices.includes(inv.stripeInvoiceId)) {
          state.dunningInvoices.push(inv.stripeInvoiceId);
          await startChild(dunningWorkflow, {
            workflowId: workflowIds.dunning(inv.stripeInvoiceId),
            args: [
              {
                stripeInvoiceId: inv.stripeInvoiceId,
                subscriptionId: state.subscriptionId,
                subscriptionWorkflowId: workflowInfo().workflowId,
                customerId: state.customerId,
                email: state.email,
                hostedInvoiceUrl: inv.hostedInvoiceUrl,
                // The policy an admin set, read as the run starts; the run keeps it to its end.
                policy: input.dunningPolicy ?? (await db.currentDunningPolicy()),
              },
            ],
            // The run outlives this one across continue-as-new; it reports back by signal.
            parentClosePolicy: ParentClosePolicy.ABANDON,
          });
        }
        await refresh();
        return;
      }
      case 'invoice.paid': {
        await stripe.fetchInvoice(e.objectId);
        if (state.dunningInvoices.includes(e.objectId)) {
          await signalDunning(e.objectId, invoicePaid);
          state.dunningInvoices = state.dunningInvoices.filter((id) => id !== e.objectId);
          if (state.status === 'suspended') state.status = 'past_due';
        }
        await refresh();
        return;
      }
      case 'invoice.payment_action_required':
        await db.queueNotification({
          customerId: state.customerId,
          email: state.email,
          kind: 'payment_action_required',
          dedupeKey: `payment_action_required:${e.objectId}:${e.id}`,
          payload: { invoiceId: e.objectId, hostedInvoiceUrl: e.hostedInvoiceUrl ?? null },
        });
        return;
      case 'payment_method.attached':
        await stripe.syncPaymentMethods(state.customerId);
        for (const invoiceId of state.dunningInvoices) await signalDunning(invoiceId, paymentMethodAttached);
        return;
      case 'payment_method.detached':
        await stripe.syncPaymentMethods(state.customerId);
        return;
      case 'checkout.session.completed':
        await stripe.syncPaymentMethods(state.customerId);
        await refresh();
        return;
      case 'invoice.upcoming':
        // A preview of the next invoice: it has no id yet and nothing to mirror.
        return;
      case 'invoice.created':
      case 'invoice.finalized':
        await stripe.fetchInvoice(e.objectId);
        return;
      default: {
        // customer.subscription.*: Stripe's current object is the truth, so one re-read answers every
        // such event already waiting in the inbox as well.
        for (let i = inbox.length - 1; i >= 0; i--) {
          const queued = inbox[i] as StripeEventSignal;
          if (queued.type.startsWith('customer.subscription.')) {
            applied.add(queued.id);
            inbox.splice(i, 1);
          }
        }
        await refresh();
      }
    }
  }

  /** A dunning run that already ended (its report still on the way, or terminated) is not an error here. */
  async function signalDunning(
    invoiceId: string,
    signal: typeof invoicePaid | typeof paymentMethodAttached,
  ): Promise<void> {
    try {
      await getExternalWorkflowHandle(workflowIds.dunning(invoiceId)).signal(signal);
    } catch (err) {
      if (isCancellation(err)) throw err;
      log.warn('dunning run could not be signalled', { invoiceId, error: String(err) });
    }
  }

  async function handleReport(r: DunningReport): Promise<void> {
    if (r.outcome === 'suspend' && state.dunningInvoices.includes(r.stripeInvoiceId)) {
      await setStatus('suspended');
      return;
    }
    state.dunningInvoices = state.dunningInvoices.filter((id) => id !== r.stripeInvoiceId);
    if (r.outcome === 'exhausted') {
      const finalAction = r.finalAction ?? DEFAULT_DUNNING_POLICY.finalAction;
      if (finalAction === 'cancel' && state.stripeSubscriptionId) {
        const snap = await stripe.cancelSubscriptionNow({
          stripeSubscriptionId: state.stripeSubscriptionId,
          changeKey: `dunning-exhausted:${r.stripeInvoiceId}`,
        });
        await applySnapshot(snap);
      } else {
        await setStatus('suspended');
      }
      return;
    }
    await refresh();
  }

  /** At a trial's end with no card on file, access ends and the Stripe subscription is canceled. */
  async function endTrialWithoutCard(): Promise<void> {
    if (state.stripeSubscriptionId) {
      const snap = await stripe.fetchSubscription(state.stripeSubscriptionId);
      if (snap.status !== 'trialing' && snap.status !== 'canceled') return applySnapshot(snap);
      if (snap.hasPaymentMethod || (await db.customerHasPaymentMethod(state.customerId))) {
        // Stripe converts (or fails the first charge) on its own; its webhook wakes us, else check back.
        trialRecheckAt = Date.now() + HOUR_MS;
        return applySnapshot(snap);
      }
      if (snap.status !== 'canceled') {
        await stripe.cancelSubscriptionNow({
          stripeSubscriptionId: state.stripeSubscriptionId,
          changeKey: `trial-expired:${state.subscriptionId}`,
        });
      }
    }
    await setStatus('expired');
  }

  /**
   * A trial-tier trial with a chosen continuation moves to that plan and ends the trial at once: Stripe
   * bills the new plan's first period, no new checkout. A change Stripe refuses ends the trial instead.
   */
  async function convertTrial(): Promise<void> {
    const pending = state.pendingChange;
    if (!pending) return expireTrial();
    try {
      await switchPrice(pending, 'none', null, true);
    } catch (err) {
      if (!(err instanceof ActivityFailure)) throw err;
      log.warn('trial continuation refused by Stripe; the trial ends', {
        tier: pending.planCode,
        error: String(err.cause),
      });
      await setPending(null);
      await expireTrial();
    }
  }

  /** The trial tier never continues at its own price: without a pick, Stripe cancels and access ends. */
  async function expireTrial(): Promise<void> {
    if (state.stripeSubscriptionId) {
      await stripe.cancelSubscriptionNow({
        stripeSubscriptionId: state.stripeSubscriptionId,
        changeKey: `trial-expired:${state.subscriptionId}`,
      });
    }
    await setStatus('expired');
  }

  function trialEndTimer(end: number, action: TrialEndAction): { at: number; run: () => Promise<void> } {
    if (action === 'convert') return { at: trialDecisionAt(state.tier, end), run: convertTrial };
    if (action === 'expire') return { at: trialDecisionAt(state.tier, end), run: expireTrial };
    // A grace hour lets Stripe's own conversion (and its webhook) land first.
    return { at: Math.max(end + HOUR_MS, trialRecheckAt), run: endTrialWithoutCard };
  }

  /** On the trial tier the pending change is the plan chosen to follow the trial; the trial timer applies it. */
  const isTrialTierTrial = () => state.status === 'trialing' && state.tier === TRIAL_TIER;

  function nextTimer(): { at: number; run: () => Promise<void> } | null {
    const timers: { at: number; run: () => Promise<void> }[] = [];
    if (state.status === 'trialing' && state.trialEnd) {
      const end = Date.parse(state.trialEnd);
      if (!state.trialReminderSent) {
        timers.push({
          at: end - TRIAL_REMINDER_BEFORE_END_MS,
          run: async () => {
            state.trialReminderSent = true;
            await db.queueNotification({
              customerId: state.customerId,
              email: state.email,
              kind: 'trial_will_end',
              dedupeKey: `trial_will_end:${state.subscriptionId}`,
              payload: {
                trialEnd: state.trialEnd,
                continuation: state.pendingChange
                  ? { tier: state.pendingChange.planCode, interval: state.pendingChange.interval }
                  : null,
              },
            });
          },
        });
      }
      const action = trialEndAction({
        tier: state.tier,
        hasContinuation: state.pendingChange !== null,
        cancelAtPeriodEnd: state.cancelAtPeriodEnd,
      });
      timers.push(trialEndTimer(end, action));
    }
    const pending = state.pendingChange;
    // While a cancellation is pending the subscription ends at period end instead (switching it then would
    // race Stripe's cancellation); resuming re-arms the switch.
    if (pending && !isFinal(state.status) && !state.cancelAtPeriodEnd && !isTrialTierTrial()) {
      timers.push({
        at: Date.parse(pending.effectiveAt),
        run: async () => {
          // Replaced meanwhile (an upgrade, another change): nothing to switch.
          if (state.pendingChange !== pending) return;
          try {
            await switchPrice(pending, 'none');
          } catch (err) {
            // Stripe refusing it (a price since archived) must not end the run nor retry every tick.
            if (!(err instanceof ActivityFailure)) throw err;
            log.warn('pending plan change refused by Stripe; withdrawn', {
              tier: pending.planCode,
              error: String(err.cause),
            });
            await setPending(null);
          }
        },
      });
    }
    timers.sort((a, b) => a.at - b.at);
    return timers[0] ?? null;
  }

  if (!input.carried) {
    await db.createSubscriptionRecord({
      subscriptionId: state.subscriptionId,
      customerId: state.customerId,
      planId: input.plan.planId,
      interval: input.plan.interval,
      amountCents: input.plan.amountCents,
    });
    if (state.stripeSubscriptionId) await exclusive(refresh);
    else await publish();
  }

  // What the timers depend on: an update that changes it (a scheduled downgrade, a cancellation) re-arms them.
  const timerKey = () =>
    [
      state.status,
      state.trialEnd,
      state.trialReminderSent,
      state.pendingChange?.requestId,
      state.pendingChange ? state.cancelAtPeriodEnd : null,
    ].join('|');

  while (!isFinal(state.status)) {
    const timer = nextTimer();
    const key = timerKey();
    const ready = () => inbox.length > 0 || reports.length > 0 || timerKey() !== key;
    if (timer) {
      const woke = await condition(ready, Math.max(1, timer.at - Date.now()));
      if (!woke) {
        await exclusive(timer.run);
        continue;
      }
    } else {
      await condition(ready);
    }
    const e = inbox.shift();
    if (e) {
      // Taken now, not once handled: a redelivery arriving while this one waits on Stripe is a duplicate.
      applied.add(e.id);
      try {
        await exclusive(() => handleEvent(e));
      } catch (err) {
        // One event Stripe will not explain (a deleted invoice, say) must not end the subscription's run.
        if (!(err instanceof ActivityFailure)) throw err;
        log.warn('stripe event could not be applied', {
          eventId: e.id,
          type: e.type,
          error: String(err.cause),
        });
      }
      applied.add(e.id);
    }
    const r = reports.shift();
    if (r) await exclusive(() => handleReport(r));

    if (
      workflowInfo().historyLength > (input.historyLimit ?? HISTORY_EVENTS_BEFORE_CONTINUE) &&
      inbox.length === 0 &&
      reports.length === 0
    ) {
      await condition(allHandlersFinished);
      await outsideChain;
      await continueAsNew<typeof subscriptionWorkflow>({
        ...input,
        carried: { state, appliedEventIds: [...applied].slice(-REMEMBERED_EVENT_IDS) },
      });
    }
  }
  await condition(allHandlersFinished);
  await outsideChain;
  return state;
}

import { patched, setHandler } from '@temporalio/workflow';
import {
  checkoutRefusal,
  isTrialTierTrial,
  liveRefusal,
  pauseRefusal,
  pendingChangeCancelRefusal,
  pendingAfterImmediateChange,
  planChangeRefusal,
  resumeRefusal,
} from '../../domain/subscription';
import {
  beginCheckout,
  cancelPendingChange,
  cancelSubscription,
  changePlan,
  changeSeats,
  pauseSubscription,
  resumeSubscription,
  setDiscount,
} from '../messages';
import { seatChangeInvoicesNow } from '../../domain/seats';
import { stripe } from './activity-proxies';
import { setPending } from './pending-change';
import { switchPrice } from './plan-switch';
import type { Run } from './run';
import { applySnapshot } from './snapshots';
import { publish } from './visibility';

/** Calendar checkouts read Stripe's now in an activity of its own, before the session is created. */
export const CALENDAR_NOW_READ_APART = 'calendar-now-read-apart';

/** Validators refuse with the domain's reason; Temporal answers the caller and nothing is recorded. */
function refuse(reason: string | null): void {
  if (reason) throw new Error(reason);
}

/** The customer's and admin's requests, each taking its turn with events, reports and timers. */
export function acceptRequests(run: Run): void {
  const { state, input, exclusive } = run;

  setHandler(
    beginCheckout,
    async (urls) =>
      exclusive(async () => {
        const stripeCustomerId = await stripe.ensureStripeCustomer(state.customerId);
        state.stripeCustomerId = stripeCustomerId;
        // Calendar billing needs Stripe's now (a test clock's time) to place the 1st: a read of its own,
        // before the call that creates the session. Runs from before read it inside that call.
        const calendar = input.plan.billingAnchor === 'calendar';
        const stripeNowS =
          calendar && patched(CALENDAR_NOW_READ_APART)
            ? await stripe.stripeNowForCustomer(stripeCustomerId)
            : null;
        return stripe.createCheckoutSession({
          subscriptionId: state.subscriptionId,
          stripeCustomerId,
          priceId: input.plan.priceId,
          usagePriceId: input.plan.usagePriceId ?? null,
          trialDays: input.plan.trialDays,
          ...(input.plan.trialWithoutCard ? { trialWithoutCard: input.plan.trialWithoutCard } : {}),
          signupFee: input.plan.signupFee ?? null,
          successUrl: urls.successUrl,
          cancelUrl: urls.cancelUrl,
          ...(urls.promotionCodeId ? { promotionCodeId: urls.promotionCodeId } : {}),
          ...(input.plan.billingAnchor === 'calendar' ? { billingAnchor: 'calendar' as const } : {}),
          ...(input.plan.seats ? { quantity: input.plan.seats } : {}),
          ...(stripeNowS !== null ? { stripeNowS } : {}),
        });
      }),
    { validator: (_urls) => refuse(checkoutRefusal(state)) },
  );

  setHandler(
    changePlan,
    async (req) =>
      exclusive(async () => {
        const replaced = state.pendingChange;
        if (req.when === 'period_end') {
          const effectiveAt = state.currentPeriodEnd as string;
          await setPending(run, { ...req, effectiveAt });
          await publish(state);
          return {
            status: 'scheduled' as const,
            effectiveAt,
            tier: req.planCode,
            replacedPendingChange: replaced,
          };
        }
        const keep = pendingAfterImmediateChange(state, req);
        await switchPrice(run, req, 'always_invoice', keep);
        return {
          status: 'applied' as const,
          effectiveAt: new Date(Date.now()).toISOString(),
          tier: req.planCode,
          replacedPendingChange: keep ? null : replaced,
        };
      }),
    { validator: (req) => refuse(planChangeRefusal(state, req)) },
  );

  setHandler(
    changeSeats,
    async (req) =>
      exclusive(async () => {
        // Decided here, in turn, against what Stripe last showed: two changes asked at once are each
        // judged against the seats the other left, never against a count both read before either ran.
        const held = state.seats ?? input.plan.seats;
        if (held === req.seats) return { ...state, previousSeats: held, invoicedNow: false };
        const invoiceNow =
          held === undefined ? (req.invoiceNow ?? false) : seatChangeInvoicesNow(held, req.seats);
        const snap = await stripe.changeSubscriptionQuantity({
          stripeSubscriptionId: state.stripeSubscriptionId as string,
          itemId: state.itemId as string,
          quantity: req.seats,
          invoiceNow,
          changeKey: req.requestId,
        });
        await applySnapshot(run, snap);
        return { ...state, ...(held === undefined ? {} : { previousSeats: held }), invoicedNow: invoiceNow };
      }),
    { validator: (_req) => refuse(liveRefusal(state)) },
  );

  setHandler(
    cancelPendingChange,
    async (_req) =>
      exclusive(async () => {
        const canceledPendingChange = state.pendingChange;
        if (canceledPendingChange) {
          await setPending(run, null);
          await publish(state);
        }
        return { canceledPendingChange, view: state };
      }),
    { validator: (_req) => refuse(pendingChangeCancelRefusal(state)) },
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
        if (!keep) await setPending(run, null);
        await applySnapshot(run, snap);
        return { ...state, canceledPendingChange };
      }),
    { validator: (_req) => refuse(liveRefusal(state)) },
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
        await applySnapshot(run, snap);
        // Resuming clears Stripe's cancel_at too, and with it the trial's own end: set it again.
        if (isTrialTierTrial(state) && input.plan.signupFee && state.trialEnd) {
          await stripe.setCancelAt({
            stripeSubscriptionId: snap.stripeSubscriptionId,
            at: state.trialEnd,
            changeKey: `trial-ends:${state.subscriptionId}:${req.requestId}`,
          });
        }
        return state;
      }),
    { validator: (_req) => refuse(resumeRefusal(state)) },
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
        await applySnapshot(run, snap);
        return state;
      }),
    { validator: (req) => refuse(pauseRefusal(state, req.paused)) },
  );

  setHandler(
    setDiscount,
    async (req) =>
      exclusive(async () => {
        const snap = await stripe.setDiscount({
          stripeSubscriptionId: state.stripeSubscriptionId as string,
          couponId: req.couponId,
          changeKey: req.requestId,
        });
        await applySnapshot(run, snap);
        return state;
      }),
    { validator: (_req) => refuse(liveRefusal(state)) },
  );
}

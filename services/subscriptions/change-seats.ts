import { createHash, randomUUID } from 'node:crypto';
import type { Subscription } from '../../db/entities';
import { recordAudit } from '../../db/audit';
import { pricesFor } from '../../db/plan-prices';
import { clockOf } from '../../domain/clock';
import { AppError, notFound } from '../../domain/errors';
import type { Identity } from '../../domain/identity';
import {
  seatAmountCents,
  seatChangeInvoicesNow,
  seatCountProblem,
  seatTermsOf,
  type SeatTiers,
} from '../../domain/seats';
import { workflowIds } from '../../workflows/ids';
import { changeSeats as changeSeatsUpdate } from '../../workflows/messages';
import { customerByEmailAnyCase } from '../admin-lists/subscription-detail';
import type { CoreDeps } from '../deps';
import { callWorkflow } from '../temporal/gateway';
import { prorationPreview } from '../../domain/plan-change-proration';
import { findLiveSubscription, ownLiveSubscription, requireLive } from './live-subscription';

export interface SeatChangeAsk {
  seats: number;
  /** Only work out what it would cost; nothing changes. */
  preview?: boolean;
  /** The caller's key for this change: a retry with the same key is answered as the first was. */
  idempotencyKey?: string;
}

/** The seats a subscription goes to, what it then recurs at, and what the change costs now. */
export interface SeatChange {
  seats: number;
  previousSeats: number;
  amountCents: number;
  /** More seats are invoiced at once; fewer leave their credit on the next invoice. */
  invoicedNow: boolean;
  creditCents: number;
  chargeCents: number;
  discountCents: number;
  dueNowCents: number;
  applied: boolean;
}

/**
 * One seat's price and the plan's seat tiers: the plan version's, in the subscription's currency and
 * interval, while the subscription is on that version's Stripe price; on a price set in Stripe, the
 * average of what Stripe bills for the seats held, untiered.
 */
function seatPriceOf(sub: Subscription): { perSeatCents: number; tiers: SeatTiers | null } {
  const planPrice = pricesFor(sub.plan, sub.interval, sub.currency);
  if (planPrice.amountCents !== null && planPrice.priceId === sub.stripePriceId)
    return { perSeatCents: planPrice.amountCents, tiers: seatTermsOf(sub.plan)?.tiers ?? null };
  return { perSeatCents: Math.round(sub.amountCents / Math.max(1, sub.seats)), tiers: null };
}

/**
 * What moving `sub` from `held` seats to `seats` costs, as Stripe prorates a quantity change (the
 * subscription's discount included), refused outside the plan's range or on a plan not priced per seat
 * (400).
 */
function seatChangeOf(sub: Subscription, held: number, seats: number, at: Date): Omit<SeatChange, 'applied'> {
  const problem = seatCountProblem(seatTermsOf(sub.plan), seats);
  if (problem) throw new AppError('invalid', problem.code, problem.message, { field: 'seats' });
  const { perSeatCents, tiers } = seatPriceOf(sub);
  const amountCents = seatAmountCents(perSeatCents, seats, tiers);
  const p = prorationPreview(
    { ...termsOf(sub), amountCents: seatAmountCents(perSeatCents, held, tiers) },
    { plan: sub.plan, amountCents, interval: sub.interval, currency: sub.currency },
    'now',
    at,
  );
  const invoicedNow = seatChangeInvoicesNow(held, seats);
  return {
    seats,
    previousSeats: held,
    amountCents,
    invoicedNow,
    creditCents: p.creditCents,
    chargeCents: p.chargeCents,
    discountCents: p.discountCents,
    // Fewer seats charge nothing now: their credit waits for the next invoice.
    dueNowCents: invoicedNow ? p.dueNowCents : 0,
  };
}

function termsOf(sub: Subscription) {
  const { tier, interval, currentPeriodStart, currentPeriodEnd, discount } = sub;
  return { tier, interval, currentPeriodStart, currentPeriodEnd, discount };
}

/** With the caller's key, the same id for a retry (Temporal answers it once); without one, a new change. */
function seatRequestId(sub: Subscription, seats: number, key: string | undefined): string {
  if (key === undefined) return randomUUID();
  const digest = createHash('sha256')
    .update(JSON.stringify([sub.id, seats, key]))
    .digest('hex');
  return `seats-${digest.slice(0, 40)}`;
}

async function change(deps: CoreDeps, sub: Subscription, ask: SeatChangeAsk): Promise<SeatChange> {
  const at = clockOf(deps).now();
  const planned = seatChangeOf(sub, sub.seats, ask.seats, at);
  if (ask.preview) return { ...planned, applied: false };
  const requestId = seatRequestId(sub, ask.seats, ask.idempotencyKey);
  const done = await callWorkflow(deps, () =>
    deps.temporal.workflow.getHandle(workflowIds.subscription(sub.id)).executeUpdate(changeSeatsUpdate, {
      args: [{ seats: ask.seats, invoiceNow: planned.invoicedNow, requestId }],
      updateId: requestId,
    }),
  );
  // The run judged the change against the seats Stripe last showed it, which another change may have
  // moved since the mirror was read: the answer is worked out against those.
  const held = done.previousSeats ?? sub.seats;
  const made = held === sub.seats ? planned : seatChangeOf(sub, held, ask.seats, at);
  return { ...made, invoicedNow: done.invoicedNow ?? made.invoicedNow, applied: held !== ask.seats };
}

/** The caller changes the seats of their own subscription (or previews the change). */
export async function changeOwnSeats(deps: CoreDeps, identity: Identity, ask: SeatChangeAsk) {
  const sub = requireLive((await ownLiveSubscription(deps, identity)).sub);
  return change(deps, sub, ask);
}

/** An admin changes a customer's seats (or previews it); a change made is audited. */
export async function changeSeatsAsAdmin(deps: CoreDeps, actor: Identity, email: string, ask: SeatChangeAsk) {
  const em = deps.orm.em.fork();
  const sub = await findLiveSubscription(em, await customerByEmailAnyCase(em, email));
  if (!sub) throw notFound('subscription');
  const result = await change(deps, sub, ask);
  if (result.applied) {
    recordAudit(em, {
      actor,
      action: 'subscription.change_seats',
      entityType: 'subscription',
      entityId: sub.id,
      before: { seats: result.previousSeats },
      after: { seats: result.seats },
    });
    await em.flush();
  }
  return result;
}

import { randomUUID } from 'node:crypto';
import type { Subscription } from '../../db/entities';
import { recordAudit } from '../../db/audit';
import { clockOf } from '../../domain/clock';
import { AppError, notFound } from '../../domain/errors';
import type { Identity } from '../../domain/identity';
import { seatAmountCents, seatCountProblem, seatTermsOf } from '../../domain/seats';
import { workflowIds } from '../../workflows/ids';
import { changeSeats as changeSeatsUpdate } from '../../workflows/messages';
import { customerByEmailAnyCase } from '../admin-lists/subscription-detail';
import type { CoreDeps } from '../deps';
import { callWorkflow } from '../temporal/gateway';
import { prorationPreview } from './change-plan';
import { findLiveSubscription, ownLiveSubscription, requireLive } from './live-subscription';

export interface SeatChangeAsk {
  seats: number;
  /** Only work out what it would cost; nothing changes. */
  preview?: boolean;
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
 * What moving `sub` to `seats` seats costs, as Stripe prorates a quantity change (the subscription's
 * discount included), refused outside the plan's range or on a plan not priced per seat (400).
 */
function seatChangeOf(sub: Subscription, seats: number, at: Date): Omit<SeatChange, 'applied'> {
  const problem = seatCountProblem(seatTermsOf(sub.plan), seats);
  if (problem) throw new AppError('invalid', problem.code, problem.message, { field: 'seats' });
  const perSeatCents = sub.amountCents / sub.seats;
  const amountCents = seatAmountCents(perSeatCents, seats);
  const p = prorationPreview(
    sub,
    {
      plan: sub.plan,
      priceId: sub.stripePriceId ?? '',
      usagePriceId: null,
      amountCents,
      interval: sub.interval,
      currency: sub.currency,
    },
    'now',
    at,
  );
  const invoicedNow = seats > sub.seats;
  return {
    seats,
    previousSeats: sub.seats,
    amountCents,
    invoicedNow,
    creditCents: p.creditCents,
    chargeCents: p.chargeCents,
    discountCents: p.discountCents,
    // Fewer seats charge nothing now: their credit waits for the next invoice.
    dueNowCents: invoicedNow ? p.dueNowCents : 0,
  };
}

async function change(deps: CoreDeps, sub: Subscription, ask: SeatChangeAsk): Promise<SeatChange> {
  const planned = seatChangeOf(sub, ask.seats, clockOf(deps).now());
  if (ask.preview || planned.seats === planned.previousSeats) return { ...planned, applied: false };
  await callWorkflow(deps, () =>
    deps.temporal.workflow.getHandle(workflowIds.subscription(sub.id)).executeUpdate(changeSeatsUpdate, {
      args: [{ seats: planned.seats, invoiceNow: planned.invoicedNow, requestId: randomUUID() }],
    }),
  );
  return { ...planned, applied: true };
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

import type { EntityManager, MikroORM } from '@mikro-orm/core';
import type { Client } from '@temporalio/client';
import {
  Charge,
  CreditNote,
  Customer,
  Invoice,
  Plan,
  Refund,
  Subscription,
  SubscriptionChange,
  type SubscriptionStatus,
} from '../../db/entities';
import { countsTowardMrr } from '../../domain/subscription-status';
import { newId } from '../../db/ids';
import { startTestApi } from './api';
import { startTestIdp, type TestIdp } from './auth';
import { openTestDatabase } from './db';

export const DAY = 86_400_000;

/** The real app for the billing and revenue tests (kept for their call sites). */
export function startBillingTestApi(opts: {
  orm: MikroORM;
  env?: Record<string, string>;
  temporal?: Client;
}) {
  return startTestApi(opts);
}

/**
 * A describe block's billing API on a fresh database of `dialect`, trusting the test identity provider's
 * tokens; started before its tests and stopped after. Its fields are set once the block has started.
 */
export function billingApiOn(dialect: 'sqlite' | 'postgresql') {
  const setup = {} as {
    idp: TestIdp;
    db: Awaited<ReturnType<typeof openTestDatabase>>;
    api: Awaited<ReturnType<typeof startBillingTestApi>>;
  };
  beforeAll(async () => {
    [setup.idp, setup.db] = await Promise.all([startTestIdp(), openTestDatabase(dialect)]);
    setup.api = await startBillingTestApi({
      orm: setup.db.orm,
      env: { OIDC_ISSUER: setup.idp.issuer, OIDC_JWKS_URL: setup.idp.jwksUrl },
    });
  });
  afterAll(async () => {
    await setup.api?.stop();
    await Promise.all([setup.idp?.stop(), setup.db?.close()]);
  });
  return setup;
}

export interface SubscriptionRow {
  tier?: string;
  amountCents: number;
  interval?: 'month' | 'year';
  status: SubscriptionStatus;
  createdAt: Date;
  trialEnd?: Date | null;
  cancelAtPeriodEnd?: boolean;
  canceledAt?: Date | null;
  endedAt?: Date | null;
  pausedAt?: Date | null;
  updatedAt?: Date;
  currency?: string;
}

/** A later change to a subscription, as the mirror would record it; unnamed fields stay as they were. */
export interface SubscriptionStep {
  at: Date;
  amountCents?: number;
  interval?: 'month' | 'year';
  tier?: string;
  status?: SubscriptionStatus;
}

/** The mirror's rule (activities/db/subscriptions.ts): the yearly amount while paying, else 0. */
const arrOf = (s: Pick<Subscription, 'status' | 'interval' | 'amountCents'>) =>
  countsTowardMrr(s.status) ? (s.interval === 'year' ? s.amountCents : s.amountCents * 12) : 0;

/**
 * The changes the mirror would have written for a row that reached its state by the ordinary path:
 * created (incomplete), then trialing until trial_end or paying from creation, then its final state at
 * the time the row gives for it (ended, canceled, paused; otherwise the last update).
 */
function lifecycle(row: SubscriptionRow): SubscriptionStep[] {
  if (row.status === 'incomplete') return [];
  const steps: SubscriptionStep[] = [];
  const trial = row.trialEnd != null && row.trialEnd > row.createdAt ? row.trialEnd : null;
  const endAt =
    row.status === 'canceled' || row.status === 'expired'
      ? (row.endedAt ?? row.canceledAt ?? row.updatedAt ?? row.createdAt)
      : row.status === 'paused'
        ? (row.pausedAt ?? row.updatedAt ?? row.createdAt)
        : (row.updatedAt ?? row.createdAt);
  if (row.status === 'expired') return [{ at: endAt, status: 'expired' }];
  if (trial) {
    steps.push({ at: row.createdAt, status: 'trialing' });
    if (row.status === 'trialing') return steps;
    // A trial that ended without paying goes straight to its final state.
    if (row.status !== 'active' && endAt <= trial) return [...steps, { at: endAt, status: row.status }];
    steps.push({ at: trial, status: 'active' });
  } else {
    if (row.status === 'trialing') return [{ at: row.createdAt, status: 'trialing' }];
    steps.push({ at: row.createdAt, status: 'active' });
  }
  if (row.status !== 'active') steps.push({ at: endAt, status: row.status });
  return steps;
}

/**
 * Writes a book of customers, subscriptions, invoices and charges straight into the mirror, with
 * `arr_cents` and `subscription_changes` as the mirror activity keeps them.
 */
export function bookWriter(em: EntityManager) {
  let seq = 0;
  const unique = () =>
    `${Date.now().toString(36)}${(++seq).toString(36)}${Math.random().toString(36).slice(2, 6)}`;
  const lastChange = new Map<string, number>();

  /** Applies a step to the row and records the change, as recordSubscriptionState does. */
  function change(sub: Subscription, step: SubscriptionStep): Subscription {
    const previous = lastChange.get(sub.id) ?? -Infinity;
    // Out of order, the history would no longer telescope into the row's state: a mistake in the book.
    if (step.at.getTime() < previous)
      throw new Error(`change to ${sub.id} at ${step.at.toISOString()} is out of order`);
    lastChange.set(sub.id, step.at.getTime());
    const before = { amount: sub.amountCents, interval: sub.interval, status: sub.status, tier: sub.tier };
    sub.amountCents = step.amountCents ?? sub.amountCents;
    sub.interval = step.interval ?? sub.interval;
    sub.status = step.status ?? sub.status;
    if (step.tier && step.tier !== sub.tier) {
      sub.tier = step.tier;
      sub.plan = em.getReference(Plan, `plan_${step.tier}_v1`);
    }
    sub.arrCents = arrOf(sub);
    em.create(SubscriptionChange, {
      id: newId('sch', step.at.getTime()),
      subscription: sub,
      customerId: sub.customer.id,
      currency: sub.currency,
      at: step.at,
      oldAmountCents: before.amount,
      newAmountCents: sub.amountCents,
      oldInterval: before.interval,
      newInterval: sub.interval,
      oldStatus: before.status,
      newStatus: sub.status,
      oldTier: before.tier,
      newTier: sub.tier,
    });
    return sub;
  }

  return {
    customer(opts: { email?: string; userId?: string; createdAt?: Date; name?: string } = {}): Customer {
      const tag = unique();
      return em.create(Customer, {
        id: newId('cust', opts.createdAt?.getTime()),
        userId: opts.userId ?? `user-${tag}`,
        email: opts.email ?? `c-${tag}@example.com`,
        name: opts.name ?? null,
        stripeCustomerId: `cus_${tag}`,
        createdAt: opts.createdAt ?? new Date(),
      });
    },
    /** A subscription in the row's state, with the history that led there (see lifecycle). */
    subscription(customer: Customer, row: SubscriptionRow): Subscription {
      const tier = row.tier ?? 'professional';
      const sub = em.create(Subscription, {
        id: newId('subs', row.createdAt.getTime()),
        customer,
        plan: em.getReference(Plan, `plan_${tier}_v1`),
        tier,
        status: 'incomplete',
        interval: row.interval ?? 'month',
        amountCents: row.amountCents,
        currency: row.currency ?? 'usd',
        stripeSubscriptionId: `sub_${unique()}`,
        trialEnd: row.trialEnd ?? null,
        cancelAtPeriodEnd: row.cancelAtPeriodEnd ?? false,
        canceledAt: row.canceledAt ?? null,
        endedAt: row.endedAt ?? null,
        pausedAt: row.pausedAt ?? null,
        createdAt: row.createdAt,
        currentPeriodStart: row.createdAt,
        currentPeriodEnd: new Date(row.createdAt.getTime() + (row.interval === 'year' ? 365 : 30) * DAY),
      });
      for (const step of lifecycle(row)) change(sub, step);
      // onUpdate stamps updatedAt on flush; a book that needs a past one sets it after (see setUpdatedAt).
      if (row.updatedAt) sub.updatedAt = row.updatedAt;
      return sub;
    },
    /** A later change (upgrade, downgrade, pause, cancellation…), in time order per subscription. */
    change,
    invoice(
      customer: Customer,
      opts: {
        amountCents: number;
        createdAt: Date;
        status?: string;
        paidAt?: Date | null;
        invoicePdf?: string | null;
        number?: string;
        subscription?: Subscription;
        currency?: string;
        /** Tax Stripe added on top of `amountCents` (in the total and what was paid). */
        taxCents?: number;
        /** What a coupon took off before `amountCents` (already out of it). */
        discountCents?: number;
        reverseCharge?: boolean;
      },
    ): Invoice {
      const status = opts.status ?? 'paid';
      return em.create(Invoice, {
        id: newId('inv', opts.createdAt.getTime()),
        stripeInvoiceId: `in_${unique()}`,
        customer,
        subscription: opts.subscription ?? null,
        number: opts.number ?? `INV-${unique().toUpperCase()}`,
        status,
        currency: opts.currency ?? 'usd',
        subtotalCents: opts.amountCents,
        totalCents: opts.amountCents + (opts.taxCents ?? 0),
        taxCents: opts.taxCents ?? 0,
        discountCents: opts.discountCents ?? 0,
        reverseCharge: opts.reverseCharge ?? false,
        amountDueCents: opts.amountCents + (opts.taxCents ?? 0),
        amountPaidCents: status === 'paid' ? opts.amountCents + (opts.taxCents ?? 0) : 0,
        paidAt: status === 'paid' ? (opts.paidAt ?? opts.createdAt) : null,
        dueDate: new Date(opts.createdAt.getTime() + 7 * DAY),
        invoicePdf: opts.invoicePdf ?? null,
        hostedInvoiceUrl: null,
        createdAt: opts.createdAt,
      });
    },
    charge(
      customer: Customer,
      opts: { amountCents: number; createdAt: Date; status?: string; invoice?: Invoice },
    ): Charge {
      const status = opts.status ?? 'succeeded';
      return em.create(Charge, {
        id: newId('chg', opts.createdAt.getTime()),
        stripeChargeId: `ch_${unique()}`,
        customer,
        invoice: opts.invoice ?? null,
        stripeInvoiceId: opts.invoice?.stripeInvoiceId ?? null,
        amountCents: opts.amountCents,
        status,
        paid: status === 'succeeded',
        createdAt: opts.createdAt,
      });
    },
    /** A refund of a charge; the charge's refunded amount grows with it unless it failed or was canceled. */
    refund(
      charge: Charge,
      opts: { amountCents: number; createdAt: Date; status?: string; currency?: string },
    ): Refund {
      const status = opts.status ?? 'succeeded';
      if (status !== 'failed' && status !== 'canceled') {
        charge.amountRefundedCents += opts.amountCents;
        charge.refunded = charge.amountRefundedCents >= charge.amountCents;
      }
      return em.create(Refund, {
        id: newId('rfd', opts.createdAt.getTime()),
        stripeRefundId: `re_${unique()}`,
        charge,
        customer: charge.customer,
        stripeInvoiceId: charge.stripeInvoiceId ?? null,
        amountCents: opts.amountCents,
        currency: opts.currency ?? charge.currency,
        status,
        createdAt: opts.createdAt,
      });
    },
    /** A credit note on an invoice; `refundedCents` of it was paid back as a refund (book that separately). */
    creditNote(
      invoice: Invoice,
      opts: {
        amountCents: number;
        createdAt: Date;
        refundedCents?: number;
        type?: 'pre_payment' | 'post_payment';
        status?: 'issued' | 'void';
      },
    ): CreditNote {
      const refunded = opts.refundedCents ?? 0;
      return em.create(CreditNote, {
        id: newId('crn', opts.createdAt.getTime()),
        stripeCreditNoteId: `cn_${unique()}`,
        customer: invoice.customer,
        invoice,
        stripeInvoiceId: invoice.stripeInvoiceId,
        amountCents: opts.amountCents,
        refundedCents: refunded,
        creditedCents: opts.amountCents - refunded,
        currency: invoice.currency,
        type: opts.type ?? 'post_payment',
        status: opts.status ?? 'issued',
        createdAt: opts.createdAt,
      });
    },
    flush: () => em.flush(),
  };
}

/** Sets `updated_at` by SQL: the entity's onUpdate hook would overwrite it on flush. */
export async function setUpdatedAt(em: EntityManager, subscriptionId: string, at: Date): Promise<void> {
  await em.nativeUpdate(Subscription, { id: subscriptionId }, { updatedAt: at });
}

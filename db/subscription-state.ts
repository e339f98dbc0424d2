import type { EntityManager } from '@mikro-orm/core';
import type { SubscriptionStateRow, WrittenField } from '../domain/subscription-state';
import type { SubscriptionStatus } from '../domain/subscription-status';
import { recordBillingEvent, type NewBillingEvent } from './billing-events';
import { newId } from './ids';
import { inMirrorTransaction } from './mirror/shared';
import { inTurn, numOrNull, readBool, readDate, readJsonList, sqlFor, type Sql } from './raw-sql';

/**
 * A subscription's state as its workflow records it, in plain SQL: one read, then one transaction whose
 * statements all travel with COMMIT on PostgreSQL (the row's changed columns, the customer's currency, the
 * change and its outgoing events). Through the entity manager it was a read, an update, and a flush of
 * BEGIN, three statements and COMMIT, each its own round trip and each built by the ORM; every sign-up and
 * every renewal records a state.
 */

const maybeDate = (v: unknown): Date | null => (v == null ? null : readDate(v));

/** A subscription's row, and its customer's currency (null until a subscription of theirs is past checkout). */
export async function loadSubscriptionState(
  em: EntityManager,
  subscriptionId: string,
): Promise<{ row: SubscriptionStateRow; customerCurrency: string | null } | null> {
  const [r] = await sqlFor(em).read<Record<string, unknown>>(
    `select s.id, s.customer_id, s.plan_id, s.tier, s.status, s.interval, s.amount_cents, s.currency,
            s.stripe_subscription_id, s.stripe_subscription_item_id, s.stripe_price_id, s.current_period_start,
            s.current_period_end, s.trial_end, s.cancel_at_period_end, s.awaiting_card, s.billing_anchor, s.seats,
            s.discount, s.net_amount_cents, s.canceled_at, s.ended_at, s.arr_cents, s.pending_tier,
            s.pending_interval, s.pending_amount_cents, s.pending_effective_at, c.currency as customer_currency
       from subscriptions s join customers c on c.id = s.customer_id
      where s.id = ?`,
    [subscriptionId],
  );
  if (!r) return null;
  return {
    row: {
      id: String(r.id),
      customerId: String(r.customer_id),
      planId: String(r.plan_id),
      tier: String(r.tier),
      status: r.status as SubscriptionStatus,
      interval: r.interval === 'year' ? 'year' : 'month',
      amountCents: Number(r.amount_cents),
      currency: String(r.currency),
      stripeSubscriptionId: (r.stripe_subscription_id as string | null) ?? null,
      stripeSubscriptionItemId: (r.stripe_subscription_item_id as string | null) ?? null,
      stripePriceId: (r.stripe_price_id as string | null) ?? null,
      currentPeriodStart: maybeDate(r.current_period_start),
      currentPeriodEnd: maybeDate(r.current_period_end),
      trialEnd: maybeDate(r.trial_end),
      cancelAtPeriodEnd: readBool(r.cancel_at_period_end),
      awaitingCard: readBool(r.awaiting_card),
      billingAnchor: r.billing_anchor === 'calendar' ? 'calendar' : 'anniversary',
      seats: r.seats == null ? 1 : Number(r.seats),
      discount: (typeof r.discount === 'string'
        ? JSON.parse(r.discount)
        : (r.discount ?? null)) as SubscriptionStateRow['discount'],
      netAmountCents: numOrNull(r.net_amount_cents),
      canceledAt: maybeDate(r.canceled_at),
      endedAt: maybeDate(r.ended_at),
      arrCents: Number(r.arr_cents),
      pendingTier: (r.pending_tier as string | null) ?? null,
      pendingInterval: (r.pending_interval as 'month' | 'year' | null) ?? null,
      pendingAmountCents: numOrNull(r.pending_amount_cents),
      pendingEffectiveAt: maybeDate(r.pending_effective_at),
    },
    customerCurrency: (r.customer_currency as string | null) ?? null,
  };
}

/** What an `access.changed` event tells of a plan. */
export async function planAccessOf(
  em: EntityManager,
  planId: string,
): Promise<{ services: string[]; dailyApiCalls: number | null } | null> {
  const [r] = await sqlFor(em).read<{ services: unknown; daily_api_calls: unknown }>(
    'select services, daily_api_calls from plans where id = ?',
    [planId],
  );
  return r ? { services: readJsonList(r.services), dailyApiCalls: numOrNull(r.daily_api_calls) } : null;
}

/** The column each written field is stored in. */
const COLUMNS: Record<WrittenField, string> = {
  status: 'status',
  stripeSubscriptionId: 'stripe_subscription_id',
  stripeSubscriptionItemId: 'stripe_subscription_item_id',
  stripePriceId: 'stripe_price_id',
  amountCents: 'amount_cents',
  seats: 'seats',
  interval: 'interval',
  currentPeriodStart: 'current_period_start',
  currentPeriodEnd: 'current_period_end',
  trialEnd: 'trial_end',
  cancelAtPeriodEnd: 'cancel_at_period_end',
  awaitingCard: 'awaiting_card',
  canceledAt: 'canceled_at',
  discount: 'discount',
  planId: 'plan_id',
  tier: 'tier',
  currency: 'currency',
  endedAt: 'ended_at',
  netAmountCents: 'net_amount_cents',
  arrCents: 'arr_cents',
};

function stored(sql: Sql, value: unknown): unknown {
  if (value instanceof Date) return sql.date(value);
  if (typeof value === 'boolean') return sql.bool(value);
  if (value && typeof value === 'object') return JSON.stringify(value);
  return value ?? null;
}

/** One recorded change of a subscription, with what it recurred at before and after. */
export interface RecordedChange {
  id: string;
  before: Pick<SubscriptionStateRow, 'amountCents' | 'interval' | 'status' | 'tier'> & {
    netAmountCents: number;
  };
}

/**
 * Writes a recorded state in one transaction: the columns that moved (with `updated_at`), the customer's
 * currency when it had none, and a change with its outgoing events (`change`, `events`: the history
 * revenue's movements are computed from, and the webhooks of it, existing exactly when the change does).
 */
export async function writeSubscriptionState(
  em: EntityManager,
  w: {
    row: SubscriptionStateRow;
    fields: readonly WrittenField[];
    /** Set the customer's currency to the row's, if they have none yet. */
    customerCurrency: boolean;
    change: RecordedChange | null;
    events: readonly Omit<NewBillingEvent, 'at'>[];
    at: Date;
  },
): Promise<void> {
  const { row, at } = w;
  if (w.fields.length === 0 && !w.customerCurrency && !w.change && w.events.length === 0) return;
  await inMirrorTransaction(em, async (sql, _tx, deferred) => {
    const steps: (() => Promise<unknown>)[] = [];
    if (w.fields.length > 0)
      steps.push(() =>
        sql.run(
          `update subscriptions set ${w.fields.map((f) => `${COLUMNS[f]} = ?`).join(', ')}, updated_at = ?
            where id = ?`,
          [...w.fields.map((f) => stored(sql, row[f])), sql.date(at), row.id],
        ),
      );
    if (w.customerCurrency)
      steps.push(() =>
        sql.run('update customers set currency = ? where id = ? and currency is null', [
          row.currency,
          row.customerId,
        ]),
      );
    const change = w.change;
    if (change)
      steps.push(() =>
        sql.run(
          `insert into subscription_changes (id, subscription_id, customer_id, currency, at, old_amount_cents,
             new_amount_cents, old_interval, new_interval, old_status, new_status, old_tier, new_tier)
           values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
          [
            change.id,
            row.id,
            row.customerId,
            row.currency,
            sql.date(at),
            change.before.netAmountCents,
            row.netAmountCents,
            change.before.interval,
            row.interval,
            change.before.status,
            row.status,
            change.before.tier,
            row.tier,
          ],
        ),
      );
    for (const e of w.events) steps.push(() => recordBillingEvent(sql, { ...e, at }));
    // Nothing is read in this transaction: on PostgreSQL every write rides with BEGIN and COMMIT.
    deferred(inTurn(sql, ...steps));
  });
}

/** A new change's id. */
export const newChangeId = () => newId('sch');

import type { EntityManager } from '@mikro-orm/core';
import { Customer } from '../../db/entities';
import { readCreditSettingsRow, type CreditSettingsFields } from '../../db/credit-settings';
import { recordBillingEvent } from '../../db/billing-events';
import { queueNotification } from '../../db/notifications';
import { sqlFor } from '../../db/raw-sql';
import {
  ALERT_NOTIFICATION_KIND,
  crossedAlerts,
  effectiveAlerts,
  unitsToNextAlert,
  type AlertEvent,
  type AlertThresholds,
} from '../../domain/credit-alerts';
import { AppError } from '../../domain/errors';
import { accessOf, type Access } from '../access/check-access';
import { readCustomerCredits, type CustomerCredits } from './customer-credits';
import { settingsRow } from './credit-settings';
import { beginLook, forgetAlertLook, mayCross } from './alert-count';
import { creditAlertLooks } from '../../telemetry/api-metrics';

/** What an alert event's threshold and value count, as its webhook says. */
const ALERT_UNITS: Record<AlertEvent, { threshold: string; value: string }> = {
  'usage.threshold_reached': { threshold: 'percent_of_included', value: 'included_credits_used' },
  'credits.low': { threshold: 'credits', value: 'credits' },
  'usage.overage_reached': { threshold: 'cents', value: 'cents' },
  'spend_cap.reached': { threshold: 'cents', value: 'cents' },
};

/** The customer's thresholds in force, each with whose it is. */
export async function alertSettings(em: EntityManager, customerId: string) {
  const [row, access] = await Promise.all([readCreditSettingsRow(em, customerId), accessOf(em, customerId)]);
  return thresholdsOf(row, access);
}

const thresholdsOf = (row: CreditSettingsFields | null, access: Access) =>
  effectiveAlerts(
    {
      includedPercent: row?.alertIncludedPercent ?? null,
      balanceBelow: row?.alertBalanceBelow ?? null,
      overageCents: row?.alertOverageCents ?? null,
    },
    access.plan?.alertDefaults ?? {},
  );

/** Sets the customer's own thresholds; null puts one back to the plan's (or the engine's) default. */
export async function setAlertSettings(
  em: EntityManager,
  customerId: string,
  change: { [K in keyof AlertThresholds]?: number | null },
  now: Date,
) {
  if (change.includedPercent != null && (change.includedPercent < 1 || change.includedPercent > 100))
    throw new AppError('invalid', 'validation_failed', 'includedPercent: from 1 to 100', {
      field: 'includedPercent',
    });
  const row = await settingsRow(em, customerId, now);
  if (change.includedPercent !== undefined) row.alertIncludedPercent = change.includedPercent;
  if (change.balanceBelow !== undefined) row.alertBalanceBelow = change.balanceBelow;
  if (change.overageCents !== undefined) row.alertOverageCents = change.overageCents;
  await em.flush();
  forgetAlertLook(customerId);
  return alertSettings(em, customerId);
}

/**
 * Records the alerts a customer has crossed this period: a row in the notifications outbox (the mail) and
 * one in billing_events (for the outgoing webhooks), both keyed by event, customer and period (credits.low
 * by the newest grant instead), in one transaction, so each crossing is told once however often and by
 * however many processes this runs. Answers the events it recorded now.
 */
export async function recordCrossedAlerts(
  em: EntityManager,
  customerId: string,
  now: Date,
  /** Given the credits read for the look, for another decision made from them (an automatic top-up). */
  alsoWith?: (credits: CustomerCredits) => Promise<unknown> | undefined,
): Promise<AlertEvent[]> {
  return (await lookAtAlerts(em, customerId, now, alsoWith)).recorded;
}

/** What a look found: the alerts it recorded, and how far the next one is (see unitsToNextAlert). */
interface Look {
  recorded: AlertEvent[];
  unitsToNext: number | null;
  /** When time alone may move where they stand: the period's end, a live grant's expiry (or never). */
  changesAt: number;
}

const MAX_REMEMBERED = 50_000;
/** Crossings this process knows are recorded (by their key): asking the database again would change nothing. */
const knownRecorded = new Set<string>();

async function lookAtAlerts(
  em: EntityManager,
  customerId: string,
  now: Date,
  alsoWith?: (credits: CustomerCredits) => Promise<unknown> | undefined,
): Promise<Look> {
  const { credits, access, settingsRow: row } = await readCustomerCredits(em, customerId, now);
  await alsoWith?.(credits);
  const topUp = credits.settings.autoTopUp;
  const topUpBelow = topUp.enabled && topUp.packId !== null ? topUp.threshold : null;
  const changesAt = credits.grants.reduce(
    (soonest, g) => (g.live && g.expiresAt ? Math.min(soonest, g.expiresAt.getTime()) : soonest),
    credits.included?.periodEnd?.getTime() ?? Infinity,
  );
  if (!credits.included) {
    const unitsToNext =
      topUpBelow !== null && topUpBelow > 0 ? Math.max(0, credits.balance - topUpBelow + 1) : null;
    return { recorded: [], unitsToNext, changesAt };
  }
  const set = thresholdsOf(row, access);
  const thresholds = {
    includedPercent: set.includedPercent.value,
    balanceBelow: set.balanceBelow.value,
    overageCents: set.overageCents.value,
  };
  const state = {
    included: credits.included.credits,
    includedUsed: credits.included.used,
    prepaidBalance: credits.grants.length > 0 ? credits.balance : null,
    overageCents: credits.overage?.costCents ?? 0,
    cap: credits.settings.spendCap && {
      ...credits.settings.spendCap,
      refusing: credits.refusal === 'spend_cap_reached',
    },
  };
  const unitsToNext = unitsToNextAlert(
    {
      ...state,
      overageUnits: credits.overage?.units ?? 0,
      overagePer1kCents: access.plan?.overagePer1kCents ?? 0,
      topUpBelow,
      balance: credits.balance,
    },
    thresholds,
  );
  const period = credits.included.periodStart.toISOString();
  const newestGrant = credits.grants.reduce<string>((a, g) => (g.id > a ? g.id : a), '');
  const keyOf = (event: AlertEvent) =>
    `${event}:${customerId}:${event === 'credits.low' ? newestGrant : period}`;
  const crossed = crossedAlerts(state, thresholds).filter((c) => !knownRecorded.has(keyOf(c.event)));
  if (crossed.length === 0) return { recorded: [], unitsToNext, changesAt };
  const customer = await em.fork().findOneOrFail(Customer, { id: customerId }, { fields: ['email'] });
  const recorded = await em.fork().transactional(async (tem) => {
    const sql = sqlFor(tem);
    const recordedNow: AlertEvent[] = [];
    for (const c of crossed) {
      const dedupeKey = keyOf(c.event);
      const facts = { customerId, periodStart: period, threshold: c.threshold, value: c.value };
      const added = await recordBillingEvent(sql, {
        customerId,
        type: c.event,
        payload: {
          period_start: period,
          threshold: c.threshold,
          threshold_unit: ALERT_UNITS[c.event].threshold,
          value: c.value,
          value_unit: ALERT_UNITS[c.event].value,
        },
        dedupeKey,
        at: now,
      });
      if (!added) continue;
      await queueNotification(sql, {
        customerId,
        email: customer.email,
        kind: ALERT_NOTIFICATION_KIND[c.event],
        dedupeKey,
        payload: facts,
        at: now,
      });
      recordedNow.push(c.event);
    }
    return recordedNow;
  });
  if (knownRecorded.size >= MAX_REMEMBERED) knownRecorded.clear();
  for (const c of crossed) knownRecorded.add(keyOf(c.event));
  return { recorded, unitsToNext, changesAt };
}

/** How often one process looks at a customer's alerts at most, however often they report usage. */
const CHECK_EVERY_MS = 2000;
/** When each customer's alerts were last looked at (this process's monotonic clock), and a look to come. */
const lastChecked = new Map<string, number>();
const trailing = new Set<string>();

/**
 * recordCrossedAlerts (and `also`) after a report, never in the report's way: it runs after the answer.
 * It looks only when the units reported since a customer's last look may have crossed something (see
 * unitsToNextAlert), or when that count is no longer trusted; then at most once per customer every two
 * seconds in this process, and a report inside that window gets one look at its end, so the report that
 * crossed a threshold is always looked at. A failure goes to `onError`; the next report looks again
 * (alerts are levels, not edges).
 */
export function checkAlertsSoon(
  em: EntityManager,
  /** Each customer the report was for, with the units it added (0 for one refused). */
  usage: ReadonlyMap<string, number>,
  now: Date,
  onError: (err: unknown) => void,
  /** Looks the same way at the same moments (an automatic top-up due: services/credits/top-up.ts). */
  also?: (customerId: string) => Promise<unknown>,
): void {
  // Only a customer with automatic top-up on costs the top-up look anything beyond the alerts' own read.
  const topUp =
    also && ((c: CustomerCredits) => (c.settings.autoTopUp.enabled ? also(c.customerId) : undefined));
  const run = (id: string) => {
    lastChecked.set(id, performance.now());
    const look = beginLook(id);
    lookAtAlerts(em.fork(), id, now, topUp).then(
      (found) => {
        creditAlertLooks.inc({ outcome: 'done' });
        // Units told of while it looked may already be past the count it found.
        if (look.found(found.unitsToNext, found.changesAt, now))
          checkAlertsSoon(em, new Map([[id, 0]]), now, onError, also);
      },
      (err: unknown) => {
        creditAlertLooks.inc({ outcome: 'failed' });
        look.failed();
        onError(err);
      },
    );
  };
  for (const [id, units] of usage) {
    if (!mayCross(id, units, now)) continue;
    const last = lastChecked.get(id);
    const wait = last === undefined ? 0 : last + CHECK_EVERY_MS - performance.now();
    if (wait <= 0) {
      if (lastChecked.size >= MAX_REMEMBERED) lastChecked.clear();
      lastChecked.set(id, performance.now());
      setImmediate(() => run(id));
    } else if (!trailing.has(id)) {
      trailing.add(id);
      setTimeout(() => {
        trailing.delete(id);
        run(id);
      }, wait).unref();
    }
  }
}

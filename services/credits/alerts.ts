import type { EntityManager } from '@mikro-orm/core';
import { CreditSettings, Customer } from '../../db/entities';
import { recordBillingEvent } from '../../db/billing-events';
import { queueNotification } from '../../db/notifications';
import { sqlFor } from '../../db/raw-sql';
import {
  ALERT_NOTIFICATION_KIND,
  crossedAlerts,
  effectiveAlerts,
  type AlertEvent,
  type AlertThresholds,
} from '../../domain/credit-alerts';
import { AppError } from '../../domain/errors';
import { accessOf } from '../access/check-access';
import { customerCredits, type CustomerCredits } from './customer-credits';
import { settingsRow } from './credit-settings';

/** What an alert event's threshold and value count, as its webhook says. */
const ALERT_UNITS: Record<AlertEvent, { threshold: string; value: string }> = {
  'usage.threshold_reached': { threshold: 'percent_of_included', value: 'included_credits_used' },
  'credits.low': { threshold: 'credits', value: 'credits' },
  'usage.overage_reached': { threshold: 'cents', value: 'cents' },
  'spend_cap.reached': { threshold: 'cents', value: 'cents' },
};

/** The customer's thresholds in force, each with whose it is. */
export async function alertSettings(em: EntityManager, customerId: string) {
  const [row, access] = await Promise.all([
    em.fork().findOne(CreditSettings, { customerId }),
    accessOf(em, customerId),
  ]);
  return effectiveAlerts(
    {
      includedPercent: row?.alertIncludedPercent ?? null,
      balanceBelow: row?.alertBalanceBelow ?? null,
      overageCents: row?.alertOverageCents ?? null,
    },
    access.plan?.alertDefaults ?? {},
  );
}

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
  return alertSettings(em, customerId);
}

/** How often one process looks at a customer's alerts at most, however often they report usage. */
const CHECK_EVERY_MS = 2000;
const MAX_REMEMBERED = 50_000;
/** When each customer's alerts were last looked at (this process's monotonic clock), and a look to come. */
const lastChecked = new Map<string, number>();
const trailing = new Set<string>();

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
  const credits = await customerCredits(em, customerId, now);
  await alsoWith?.(credits);
  if (!credits.included) return [];
  const thresholds = await alertSettings(em, customerId);
  const crossed = crossedAlerts(
    {
      included: credits.included.credits,
      includedUsed: credits.included.used,
      prepaidBalance: credits.grants.length > 0 ? credits.balance : null,
      overageCents: credits.overage?.costCents ?? 0,
      cap: credits.settings.spendCap && {
        ...credits.settings.spendCap,
        refusing: credits.refusal === 'spend_cap_reached',
      },
    },
    {
      includedPercent: thresholds.includedPercent.value,
      balanceBelow: thresholds.balanceBelow.value,
      overageCents: thresholds.overageCents.value,
    },
  );
  if (crossed.length === 0) return [];
  const customer = await em.fork().findOneOrFail(Customer, { id: customerId }, { fields: ['email'] });
  const period = credits.included.periodStart.toISOString();
  const newestGrant = credits.grants.reduce<string>((a, g) => (g.id > a ? g.id : a), '');
  return em.fork().transactional(async (tem) => {
    const sql = sqlFor(tem);
    const recorded: AlertEvent[] = [];
    for (const c of crossed) {
      const dedupeKey = `${c.event}:${customerId}:${c.event === 'credits.low' ? newestGrant : period}`;
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
      recorded.push(c.event);
    }
    return recorded;
  });
}

/**
 * recordCrossedAlerts (and `also`) after a report, never in the report's way: it runs after the answer, at most once per
 * customer every two seconds in this process, and a report inside that window gets one look at its end,
 * so the report that crossed a threshold is always looked at. A failure goes to `onError`; the next report
 * looks again (alerts are levels, not edges).
 */
export function checkAlertsSoon(
  em: EntityManager,
  customerIds: Iterable<string>,
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
    recordCrossedAlerts(em.fork(), id, now, topUp).catch(onError);
  };
  for (const id of customerIds) {
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

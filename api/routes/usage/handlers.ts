import type { HandlerInput } from '../../routing/define-route';
import { quotaDenials, usageEvents } from '../../../telemetry/api-metrics';
import { QuotaExceeded, reportUsage, type ReportOutcome } from '../../../services/usage/report-usage';
import { resetTodayUsage, usageRecords, usageStats, usageSummary } from '../../../services/usage/usage-views';
import {
  parseReport,
  type emailParams,
  type reportUsageBody,
  type resetUsageBody,
  type usageRecordsQuery,
  type usageStatsQuery,
} from './schemas';

export async function postReportUsage({
  deps,
  identity,
  body,
  ctx,
}: HandlerInput<undefined, undefined, typeof reportUsageBody, 'viewer'>) {
  try {
    const outcome = await reportUsage(deps.orm.em, identity, parseReport(body));
    countOutcome(outcome);
    return outcome;
  } catch (err) {
    // The one error shape carries the body; only the header has to be set here.
    if (err instanceof QuotaExceeded) {
      ctx.set('Retry-After', String(err.retryAfterSeconds));
      const tier = (err.details as { tier?: unknown } | undefined)?.tier;
      quotaDenials.inc({ plan: typeof tier === 'string' ? tier : 'unknown', where: 'report' });
      countOutcome(err.details as unknown as ReportOutcome);
    }
    throw err;
  }
}

function countOutcome(o: Pick<ReportOutcome, 'accepted' | 'duplicate' | 'rejected_events'>): void {
  if (o.accepted) usageEvents.inc({ outcome: 'accepted', reason: '' }, o.accepted);
  if (o.duplicate) usageEvents.inc({ outcome: 'duplicate', reason: '' }, o.duplicate);
  for (const r of o.rejected_events ?? []) usageEvents.inc({ outcome: 'rejected', reason: r.reason });
}

export function getUsage({ deps, identity }: HandlerInput<undefined, undefined, undefined, 'viewer'>) {
  return usageSummary(deps.orm.em, identity);
}

export function getUsageRecords({
  deps,
  identity,
  query,
}: HandlerInput<undefined, typeof usageRecordsQuery, undefined, 'viewer'>) {
  return usageRecords(deps.orm.em.fork(), identity, query);
}

export function postResetUsage({
  deps,
  identity,
  params,
  body,
}: HandlerInput<typeof emailParams, undefined, typeof resetUsageBody, 'admin'>) {
  return resetTodayUsage(deps.orm.em.fork(), identity, params.email, body.reason);
}

export function getUsageStats({
  deps,
  query,
}: HandlerInput<undefined, typeof usageStatsQuery, undefined, 'admin'>) {
  return usageStats(deps.orm.em.fork(), query);
}

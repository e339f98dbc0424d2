import type { HandlerInput } from '../../routing/define-route';
import { QuotaExceeded, reportUsage } from '../../../services/usage/report-usage';
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
    return await reportUsage(deps.orm.em.fork(), identity, parseReport(body));
  } catch (err) {
    // The one error shape carries the body; only the header has to be set here.
    if (err instanceof QuotaExceeded) ctx.set('Retry-After', String(err.retryAfterSeconds));
    throw err;
  }
}

export function getUsage({ deps, identity }: HandlerInput<undefined, undefined, undefined, 'viewer'>) {
  return usageSummary(deps.orm.em.fork(), identity);
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

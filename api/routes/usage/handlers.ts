import type { HandlerInput } from '../../routing/define-route';
import { quotaDenials, usageEvents } from '../../../telemetry/api-metrics';
import { QuotaExceeded, reportUsage, type ReportOutcome } from '../../../services/usage/report-usage';
import {
  quotaExceededError,
  reportOutcomeDto,
  usageRecordsDto,
  usageResetDto,
  usageStatsDto,
  usageSummaryDto,
} from './dto';
import { startTopUpIfDue } from '../../../services/credits/top-up';
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
}: HandlerInput<undefined, undefined, typeof reportUsageBody, 'viewer'>) {
  try {
    const outcome = await reportUsage(deps.orm.em, identity, parseReport(body), (customerId) =>
      startTopUpIfDue(deps, customerId),
    );
    countOutcome(outcome);
    return reportOutcomeDto(outcome);
  } catch (err) {
    if (!(err instanceof QuotaExceeded)) throw err;
    // Its details say when to come back, which the answer's Retry-After repeats (answerFailure).
    const refusal = quotaExceededError(err);
    const tier = (refusal.details as { tier?: unknown } | undefined)?.tier;
    quotaDenials.inc({ plan: typeof tier === 'string' ? tier : 'unknown', where: 'report' });
    countOutcome(err.outcome);
    throw refusal;
  }
}

function countOutcome(o: Pick<ReportOutcome, 'accepted' | 'duplicate' | 'rejectedEvents'>): void {
  if (o.accepted) usageEvents.inc({ outcome: 'accepted', reason: '' }, o.accepted);
  if (o.duplicate) usageEvents.inc({ outcome: 'duplicate', reason: '' }, o.duplicate);
  for (const r of o.rejectedEvents) usageEvents.inc({ outcome: 'rejected', reason: r.reason });
}

export async function getUsage({ deps, identity }: HandlerInput<undefined, undefined, undefined, 'viewer'>) {
  return usageSummaryDto(await usageSummary(deps.orm.em, identity));
}

export async function getUsageRecords({
  deps,
  identity,
  query,
}: HandlerInput<undefined, typeof usageRecordsQuery, undefined, 'viewer'>) {
  return usageRecordsDto(await usageRecords(deps.orm.em.fork(), identity, query));
}

export async function postResetUsage({
  deps,
  identity,
  params,
  body,
}: HandlerInput<typeof emailParams, undefined, typeof resetUsageBody, 'admin'>) {
  return usageResetDto(await resetTodayUsage(deps.orm.em.fork(), identity, params.email, body.reason));
}

export async function getUsageStats({
  deps,
  query,
}: HandlerInput<undefined, typeof usageStatsQuery, undefined, 'admin'>) {
  return usageStatsDto(await usageStats(deps.orm.em.fork(), query));
}

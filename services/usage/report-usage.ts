import type { EntityManager } from '@mikro-orm/core';
import { newId } from '../../db/ids';
import { AppError } from '../../domain/errors';
import type { Identity } from '../../domain/identity';
import {
  decideReport,
  type EventRejection,
  type IncomingEvent,
  type ReportOutcome,
  type ReportRefusal,
} from '../../domain/usage-report';
import { loadReport } from './load-report';
import { recordReport } from './record-report';

export type { EventRejection, IncomingEvent, ReportOutcome } from '../../domain/usage-report';

/**
 * Stores a report_usage request: load what it is decided on (loadReport), decide each event in domain/
 * (decideReport: accepted, a repeat, or refused and why), then write and settle the quota (recordReport).
 * The event id is the idempotency key among the reports of one customer by one reporter, the gateway or
 * the customer themself (see usageReporterOf). Good events of a batch are kept when others are refused.
 * When the daily cap refused events and none was accepted, the report as a whole is rate_limited.
 */
export async function reportUsage(
  em: EntityManager,
  identity: Identity,
  incoming: { events: IncomingEvent[]; rejections: EventRejection[] },
  /** After the answer, for each customer whose usage grew (an automatic top-up may be due). */
  afterUsage?: (customerId: string) => Promise<unknown>,
): Promise<ReportOutcome> {
  const ctx = await loadReport(em, identity, incoming.events);
  const decision = decideReport(ctx, incoming.events, () => newId('uevt', ctx.now.getTime()));
  const { outcome, refusedWhole } = await recordReport(em, ctx, decision, incoming.rejections, afterUsage);
  if (refusedWhole) throw new QuotaExceeded(outcome, refusedWhole);
  return outcome;
}

const WHOLE_REFUSALS: Record<ReportRefusal, string> = {
  daily_quota_exceeded: 'The daily usage limit is reached',
  spend_cap_reached: 'The spend cap of this billing period is reached',
  credits_exhausted: 'The prepaid credits are used up',
  budget_reached: "The subject's budget is used up",
};

/**
 * A limit refused the report whole (rate_limited): the daily quota, the spend cap, or a prepaid-only
 * customer's zero balance, with the outcome and the seconds to wait.
 */
export class QuotaExceeded extends AppError {
  readonly retryAfterSeconds: number;
  readonly resetsAt: Date;
  constructor(
    readonly outcome: ReportOutcome,
    refusal: { reason: ReportRefusal; resetsAt: Date; retryAfterSeconds: number },
  ) {
    super(
      'rate_limited',
      refusal.reason,
      `${WHOLE_REFUSALS[refusal.reason]}; it resets at ${refusal.resetsAt.toISOString()}`,
    );
    this.retryAfterSeconds = refusal.retryAfterSeconds;
    this.resetsAt = refusal.resetsAt;
  }
}

import { readDate, sqlFor } from '../../db/raw-sql';
import { rollupsUnreportedToLago } from '../../db/usage-rollups';
import type { ReportResult, UsageActivityDeps } from './deps';
import { markReported, recordUnitsReported } from './reported';

/** The usage rollup workflow's report of rollups to Lago. */
export function createLagoReportActivities(deps: UsageActivityDeps) {
  /**
   * Sends unreported rollups to Lago as one batch (transaction_id = the rollup's identifier), then marks
   * them; Lago refuses a transaction_id it already has, and the sender counts that as done.
   */
  async function reportRollupsToLago(input: { limit?: number } = {}): Promise<ReportResult> {
    const send = deps.sendLagoUsageBatch;
    if (!send) return { skipped: true, reported: 0, failed: 0, more: false };
    const limit = input.limit ?? 100;
    const sql = sqlFor(deps.orm.em.fork());
    const rows = await rollupsUnreportedToLago(sql, limit);
    const sendable = rows.filter((r) => r.subscription_id);
    if (sendable.length === 0) return { skipped: false, reported: 0, failed: rows.length, more: false };
    const result = await send(
      sendable.map((r) => ({
        transactionId: r.identifier,
        externalSubscriptionId: r.subscription_id as string,
        code: r.type,
        timestamp: Math.floor(readDate(r.window_end).getTime() / 1000) - 1,
        // The rate card line rides along, so Lago's charge filters can price each line as the engine does.
        properties: { value: r.quantity, line: r.line_key },
      })),
    );
    if (result.skipped) return { skipped: true, reported: 0, failed: 0, more: false };
    await deps.afterReport?.(
      'lago',
      sendable.map((r) => r.identifier),
    );
    await markReported(
      deps,
      'lago_reported_at',
      sendable.map((r) => r.id),
    );
    recordUnitsReported('lago', sendable);
    return {
      skipped: false,
      reported: sendable.length,
      failed: rows.length - sendable.length,
      more: rows.length === limit,
    };
  }

  return { reportRollupsToLago };
}

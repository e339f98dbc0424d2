import { ApplicationFailure } from '@temporalio/activity';
import type { EventInputObject } from 'lago-javascript-client';
import type { LagoClient } from '../../integrations/lago/client';
import { lagoCall, type LagoHttpError } from './errors';
import { FAILURE } from '../../domain/failure-types';

/** Lago takes at most this many events in one batch request. */
export const LAGO_BATCH_LIMIT = 100;

export interface LagoUsageEvent {
  /** Stable per usage event: Lago refuses a transaction_id it has seen, which makes replays harmless. */
  transactionId: string;
  externalSubscriptionId: string;
  /** The billable metric's code. */
  code: string;
  /** ISO 8601, or Unix seconds. */
  timestamp: string | number;
  properties?: Record<string, unknown>;
}

export interface LagoUsageSent {
  skipped: false;
  /** Events Lago stored now. */
  sent: number;
  /** Events Lago already had (an earlier attempt or rollup sent them). */
  duplicates: number;
  /** HTTP requests made. */
  requests: number;
}

/** Lago reads timestamps as Unix seconds (decimals allowed) and refuses ISO strings. */
function toUnixSeconds(timestamp: string | number): number | null {
  if (typeof timestamp === 'number') return Number.isFinite(timestamp) ? timestamp : null;
  const ms = Date.parse(timestamp);
  return Number.isNaN(ms) ? null : ms / 1000;
}

function toLago(events: LagoUsageEvent[]): EventInputObject[] {
  const invalid = events.filter((e) => toUnixSeconds(e.timestamp) === null).map((e) => e.transactionId);
  if (invalid.length > 0) {
    throw ApplicationFailure.create({
      message: `usage events with an unreadable timestamp: ${invalid.slice(0, 10).join(', ')}`,
      type: FAILURE.invalidRequest,
      nonRetryable: true,
      details: [{ transactionIds: invalid }],
    });
  }
  return events.map((e) => ({
    transaction_id: e.transactionId,
    external_subscription_id: e.externalSubscriptionId,
    code: e.code,
    timestamp: toUnixSeconds(e.timestamp) as number,
    properties: e.properties ?? {},
  }));
}

/**
 * The indexes a 422 names when its only complaint is `transaction_id: value_already_exist`, or undefined
 * when anything else is wrong (that is a bad request, not a replay).
 */
function duplicateIndexes(err: LagoHttpError, size: number): Set<number> | undefined {
  const details = err.body?.error_details;
  if (err.status !== 422 || !details || Object.keys(details).length === 0) return undefined;
  const indexes = new Set<number>();
  for (const [key, fields] of Object.entries(details)) {
    const index = Number(key);
    if (!Number.isInteger(index) || index < 0 || index >= size) return undefined;
    const entries = typeof fields === 'object' && fields !== null ? Object.entries(fields) : [];
    const onlyDuplicate =
      entries.length === 1 &&
      entries[0]?.[0] === 'transaction_id' &&
      Array.isArray(entries[0][1]) &&
      entries[0][1].every((code) => code === 'value_already_exist');
    if (!onlyDuplicate) return undefined;
    indexes.add(index);
  }
  return indexes;
}

/**
 * Sends usage in batches of at most 100. Lago stores a batch all or nothing, so when it refuses one only
 * for transaction_ids it already has, those count as done and the rest of the batch is sent again.
 */
export async function sendUsage(lago: LagoClient, events: LagoUsageEvent[]): Promise<LagoUsageSent> {
  const result: LagoUsageSent = { skipped: false, sent: 0, duplicates: 0, requests: 0 };
  const all = toLago(events);
  for (let start = 0; start < all.length; start += LAGO_BATCH_LIMIT) {
    let pending = all.slice(start, start + LAGO_BATCH_LIMIT);
    while (pending.length > 0) {
      const batch = pending;
      result.requests++;
      const outcome = await lagoCall(
        () => lago.events.createBatchEvents({ events: batch }),
        (err) => duplicateIndexes(err, batch.length),
      );
      if (!(outcome instanceof Set)) {
        result.sent += batch.length;
        break;
      }
      result.duplicates += outcome.size;
      pending = batch.filter((_, i) => !outcome.has(i));
    }
  }
  return result;
}

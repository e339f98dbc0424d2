import type { EntityManager } from '@mikro-orm/core';
import { sqlFor } from '../../db/raw-sql';
import {
  DEFAULT_RENEWAL_WINDOW_MS,
  MAX_RENEWAL_WINDOW_MS,
  renewalCounts,
  unforwardedStripeEvents,
  type RenewalCounts,
} from '../../db/renewal-run';
import type { Clock } from '../../domain/clock';
import { AppError } from '../../domain/errors';

export interface RenewalRun extends RenewalCounts {
  since: Date;
  until: Date;
  /** Stripe events not yet handed to a workflow, and how long the oldest has waited: the forward lag now. */
  intake: { unforwarded: number; oldestAgeSeconds: number | null };
}

const refuseSince = (why: string) =>
  new AppError('invalid', 'validation_failed', `since: ${why}`, { field: 'since' });

/**
 * The billing day as it stands: the renewals whose period boundary fell since `since` (the last 24 hours
 * unless asked; at most a week back) and how far each got, beside the Stripe events still to be forwarded.
 */
export async function renewalRun(em: EntityManager, q: { since?: Date }, clock: Clock): Promise<RenewalRun> {
  const until = clock.now();
  const since = q.since ?? new Date(until.getTime() - DEFAULT_RENEWAL_WINDOW_MS);
  if (since.getTime() >= until.getTime()) throw refuseSince('must be in the past');
  if (until.getTime() - since.getTime() > MAX_RENEWAL_WINDOW_MS)
    throw refuseSince(`must be at most ${MAX_RENEWAL_WINDOW_MS / 86_400_000} days ago`);
  const sql = sqlFor(em);
  const [counts, intake] = await Promise.all([
    renewalCounts(sql, { since, until }),
    unforwardedStripeEvents(sql),
  ]);
  return {
    since,
    until,
    ...counts,
    intake: {
      unforwarded: intake.unforwarded,
      oldestAgeSeconds: intake.oldestReceivedAt
        ? Math.max(0, Math.floor((until.getTime() - intake.oldestReceivedAt.getTime()) / 1000))
        : null,
    },
  };
}

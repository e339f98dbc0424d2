import { ApplicationFailure } from '@temporalio/activity';
import { FAILURE } from '../../domain/failure-types';
import type { WebhookSettings } from '../../integrations/webhooks/settings';
import type { ActivityDeps } from '../deps';

/** One endpoint's line of deliveries for one customer: what a queue workflow works through in order. */
export interface WebhookQueue {
  endpointId: string;
  queueKey: string;
}

/** What one attempt came to, for the queue workflow to decide what it does next. */
export interface AttemptOutcome {
  outcome: 'delivered' | 'retry' | 'given_up' | 'endpoint_off' | 'already_done';
  /** With `retry`: how long to wait before the next try. */
  retryInMs: number | null;
  attemptId: string | null;
  statusCode: number | null;
  error: string | null;
}

/** How an endpoint turned off for failing says why (an admin's turning off says who). */
export const AUTO_DISABLED = 'every attempt failed since';

export function settingsOf(deps: ActivityDeps): WebhookSettings {
  if (!deps.webhooks)
    throw ApplicationFailure.nonRetryable('outgoing webhooks are not configured', FAILURE.notFound);
  return deps.webhooks;
}

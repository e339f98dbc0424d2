import type { ActivityDeps } from '../deps';
import { createWebhookAttemptActivities } from './attempt';
import { createWebhookQueueActivities } from './queues';

export type { AttemptOutcome, WebhookQueue } from './shared';

/** Delivering outgoing webhooks: fanning events out to endpoints, and each attempt with its log. */
export function createWebhookActivities(deps: ActivityDeps) {
  return {
    ...createWebhookQueueActivities(deps),
    ...createWebhookAttemptActivities(deps),
  };
}

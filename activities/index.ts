import { recordAccessSyncFailures } from './access-sync-failures';
import { createCommitmentActivities } from './commitments';
import { createPrepaidCommitActivities } from './prepaid-commits';
import { createPlanMigrationActivities } from './plan-migration';
import { createCreditActivities } from './credits';
import { createCreditHousekeepingActivities } from './credits/housekeeping';
import { createCustomerActivities } from './db/customers';
import { createRetentionActivities } from './db/retention';
import { createDunningPolicyActivities } from './db/dunning-policy';
import { createPlanActivities } from './db/plans';
import { createSubscriptionDbActivities } from './db/subscriptions';
import type { ActivityDeps } from './deps';
import { classifyFailures } from './failures';
import { createKeycloakActivities } from './keycloak';
import { createLagoActivities } from './lago';
import { createUsageActivities } from './usage';
import { createOutboxActivities } from './notify/outbox';
import { createStripeActivities } from './stripe';
import { createWebhookActivities } from './webhooks';

export type { ActivityDeps } from './deps';
export type { CustomerInput, CustomerRecord } from './db/customers';
export type { NotificationInput } from './notify/outbox';
export type { SubscriptionAttributes, SyncKeycloakUserInput, SyncKeycloakUserResult } from './keycloak';
export type { AttemptOutcome, WebhookQueue } from './webhooks';
export type { LagoUsageEvent, LagoSubscriptionInput, LagoCustomerInput } from './lago';

/** Every activity the worker registers, built from its dependencies, with failures classified alike. */
export function createActivities(deps: ActivityDeps) {
  const lago = createLagoActivities(deps.lago ?? null);
  const activities = classifyFailures({
    ...createCustomerActivities(deps),
    ...createOutboxActivities(deps),
    ...createSubscriptionDbActivities(deps),
    ...createDunningPolicyActivities(deps),
    ...createPlanActivities(deps),
    ...createStripeActivities(deps),
    ...createCreditActivities(deps),
    ...createCreditHousekeepingActivities(deps),
    ...createCommitmentActivities(deps),
    ...createPrepaidCommitActivities(deps),
    ...createPlanMigrationActivities(deps),
    ...createRetentionActivities(deps),
    ...lago,
    ...createKeycloakActivities(deps),
    ...createWebhookActivities(deps),
    ...createUsageActivities({ ...deps, sendLagoUsageBatch: lago.sendLagoUsageBatch }),
  });
  return { ...activities, ...recordAccessSyncFailures(deps, activities) };
}

export type Activities = ReturnType<typeof createActivities>;

import { customerActivities } from './db/customers';
import { dunningPolicyActivities } from './db/dunning-policy';
import { planActivities } from './db/plans';
import { subscriptionDbActivities } from './db/subscriptions';
import type { ActivityDeps } from './deps';
import { classifyFailures } from './failures';
import { keycloakActivities } from './keycloak';
import { createLagoActivities } from './lago';
import { createUsageActivities } from './usage';
import { outboxActivities } from './notify/outbox';
import { stripeActivities } from './stripe';

export type { ActivityDeps } from './deps';
export type { CustomerInput, CustomerRecord } from './db/customers';
export type { NotificationInput } from './notify/outbox';
export type { SubscriptionAttributes, SyncKeycloakUserInput, SyncKeycloakUserResult } from './keycloak';
export type { LagoUsageEvent, LagoSubscriptionInput, LagoCustomerInput } from './lago';

/** Every activity the worker registers, built from its dependencies, with failures classified alike. */
export function createActivities(deps: ActivityDeps) {
  const lago = createLagoActivities(deps.lago ?? null);
  return classifyFailures({
    ...customerActivities(deps),
    ...outboxActivities(deps),
    ...subscriptionDbActivities(deps),
    ...dunningPolicyActivities(deps),
    ...planActivities(deps),
    ...stripeActivities(deps),
    ...lago,
    ...keycloakActivities(deps),
    ...createUsageActivities({ ...deps, sendLagoUsageBatch: lago.sendLagoUsageBatch }),
  });
}

export type Activities = ReturnType<typeof createActivities>;

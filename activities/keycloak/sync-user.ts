import { ApplicationFailure } from '@temporalio/activity';
import type { MikroORM } from '@mikro-orm/core';
import type { Logger } from 'pino';
import {
  type SubscriptionAttributes,
  mergeAttributes,
  missingAttributes,
} from '../../integrations/keycloak/attributes';
import type { KeycloakSession } from '../../integrations/keycloak/session';
import { FAILURE } from '../../domain/failure-types';
import { customerUserIdOf } from '../../db/customer-reads';
import { liveSubscriptionOf } from '../../db/live-subscription';

export interface SyncKeycloakUserInput {
  /** The subscription's customer, whose stored user id (their token's sub) is their Keycloak user id. */
  customerId?: string;
  /** For the failure record and logs; absent customerId (a sync scheduled before it was passed), the key. */
  email: string;
  attributes: SubscriptionAttributes;
}

export interface SyncKeycloakUserResult {
  userId: string | null;
  changed: boolean;
  /** Why nothing was written, when nothing could be. */
  skipped?: 'keycloak_not_configured' | 'user_not_found' | 'superseded';
}

// Keycloak's ids are UUIDs (or an importer's ids): nothing that could step out of the admin API's path.
const KEYCLOAK_ID = /^[A-Za-z0-9_-]{1,255}$/;

/**
 * The customer's user id, as stored when their token created the record. A sync never looks a Keycloak
 * user up by email: anyone can register an address they do not own, and would receive the subscription.
 */
async function storedCustomer(orm: MikroORM, input: SyncKeycloakUserInput) {
  return customerUserIdOf(
    orm.em.fork(),
    input.customerId ? { customerId: input.customerId } : { email: input.email.trim().toLowerCase() },
  );
}

/**
 * Whether another of the customer's subscriptions now holds their access: their newest live one, past its
 * checkout, is not the one these attributes describe. A sync of an ended subscription that lands late (its
 * retries outlasting an outage) would otherwise take the access of the one that followed it.
 */
async function supersededBy(
  orm: MikroORM,
  customerId: string,
  attributes: SubscriptionAttributes,
): Promise<string | null> {
  const ours = attributes.stripe_subscription_id;
  if (!ours) return null;
  const live = await liveSubscriptionOf(orm.em.fork(), customerId);
  if (!live?.stripeSubscriptionId || live.status === 'incomplete') return null;
  return live.stripeSubscriptionId === ours ? null : live.stripeSubscriptionId;
}

export async function syncUser(
  session: KeycloakSession,
  orm: MikroORM,
  logger: Logger,
  input: SyncKeycloakUserInput,
): Promise<SyncKeycloakUserResult> {
  if (!input.customerId && !input.email.trim()) {
    throw ApplicationFailure.create({
      message: 'neither a customer nor an email names whose attributes to sync',
      type: FAILURE.invalidRequest,
      nonRetryable: true,
    });
  }
  const customer = await storedCustomer(orm, input);
  const storedId = customer?.userId ?? null;
  const found =
    storedId && KEYCLOAK_ID.test(storedId)
      ? await session.call((admin) => admin.users.findOne({ id: storedId }))
      : null;
  if (!found?.id) {
    // Customers may pay before they ever sign in, or have signed in with another identity provider's
    // (or the development key's) subject: there is no Keycloak user of theirs to write to.
    logger.info(
      { realm: session.settings.realm },
      'keycloak sync: the customer has no Keycloak user, skipped',
    );
    return { userId: null, changed: false, skipped: 'user_not_found' };
  }
  const user = found;
  const userId = user.id!;
  // Only a user whose access another subscription wrote can have been taken over: a renewal's sync, whose
  // subscription the user already names, reads nothing more.
  const named = user.attributes?.['stripe_subscription_id']?.[0] ?? null;
  const other = customer && named !== null && named !== input.attributes.stripe_subscription_id;
  const current = other ? await supersededBy(orm, customer.id, input.attributes) : null;
  if (current) {
    logger.info(
      { userId, ours: input.attributes.stripe_subscription_id, current },
      'keycloak sync: another subscription of the customer holds their access now, skipped',
    );
    return { userId, changed: false, skipped: 'superseded' };
  }
  const { merged, changed } = mergeAttributes(user.attributes, input.attributes);
  if (!changed) return { userId, changed: false };

  // The whole representation goes back: Keycloak's update treats an absent attribute as one to remove.
  await session.call((admin) => admin.users.update({ id: userId }, { ...user, attributes: merged }));

  const stored = await session.call((admin) => admin.users.findOne({ id: userId }));
  const lost = missingAttributes(stored?.attributes, input.attributes);
  if (stored && lost.length > 0) {
    throw ApplicationFailure.create({
      message:
        `Keycloak accepted but did not keep ${lost.join(', ')}: the realm's user profile does not declare ` +
        'them (run the Keycloak setup, which calls ensureKeycloakUserProfile)',
      type: FAILURE.keycloakMisconfigured,
      nonRetryable: true,
      details: [{ lost }],
    });
  }
  logger.info(
    { userId, tier: input.attributes.subscription_tier, status: input.attributes.subscription_status },
    'keycloak user attributes synced',
  );
  return { userId, changed: true };
}

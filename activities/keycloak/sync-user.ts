import { ApplicationFailure } from '@temporalio/activity';
import type { Logger } from 'pino';
import {
  type SubscriptionAttributes,
  mergeAttributes,
  missingAttributes,
} from '../../integrations/keycloak/attributes';
import type { KeycloakSession } from '../../integrations/keycloak/session';
import { FAILURE } from '../../domain/failure-types';

export interface SyncKeycloakUserInput {
  email: string;
  attributes: SubscriptionAttributes;
}

export interface SyncKeycloakUserResult {
  userId: string | null;
  changed: boolean;
  /** Why nothing was written, when nothing could be. */
  skipped?: 'keycloak_not_configured' | 'user_not_found';
}

export async function syncUser(
  session: KeycloakSession,
  logger: Logger,
  input: SyncKeycloakUserInput,
): Promise<SyncKeycloakUserResult> {
  const email = input.email.trim().toLowerCase();
  // An empty email search would match every user of the realm.
  if (!email) {
    throw ApplicationFailure.create({
      message: 'email is empty',
      type: FAILURE.invalidRequest,
      nonRetryable: true,
    });
  }
  const found = await session.call((admin) => admin.users.find({ email, exact: true }));
  const users = found.filter((u) => u.email?.toLowerCase() === email);
  if (users.length === 0) {
    // Customers may pay before they ever sign in; the next sync after their first login applies.
    logger.info({ realm: session.settings.realm }, 'keycloak sync: no user with this email, skipped');
    return { userId: null, changed: false, skipped: 'user_not_found' };
  }
  if (users.length > 1) {
    throw ApplicationFailure.create({
      message: `${users.length} Keycloak users share this email; cannot tell whose subscription it is`,
      type: FAILURE.invalidRequest,
      nonRetryable: true,
    });
  }
  const user = users[0]!;
  const userId = user.id!;
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

import type KeycloakAdminClient from '@keycloak/keycloak-admin-client';
import type { UserProfileAttribute } from '@keycloak/keycloak-admin-client/lib/defs/userProfileMetadata';
import { SUBSCRIPTION_ATTRIBUTES } from './attributes';

const GROUP = 'billing';

function declaration(name: string): UserProfileAttribute {
  return {
    name,
    displayName: name.replace(/_/g, ' ').replace(/^./, (c) => c.toUpperCase()),
    group: GROUP,
    multivalued: false,
    // Only administrators (and the engine's service account) see or change them: users must not be able to
    // raise their own tier through the account console.
    permissions: { view: ['admin'], edit: ['admin'] },
  };
}

/**
 * Declares the subscription attributes in the realm's user profile. Since Keycloak 24 the user profile
 * silently drops attributes it does not know, so without this every sync would "succeed" and store
 * nothing. Declaring them is preferred over setting the unmanaged-attribute policy to ENABLED: that
 * policy would let users edit their own attributes, and it changes the rules for every other attribute
 * of the realm too. Adds only what is missing and leaves existing declarations as the operator set them.
 * Needs `manage-realm`; returns the names it added.
 */
export async function ensureKeycloakUserProfile(
  admin: KeycloakAdminClient,
  realm?: string,
): Promise<string[]> {
  const where = realm ? { realm } : {};
  const profile = await admin.users.getProfile(where);
  const attributes = profile.attributes ?? [];
  const groups = profile.groups ?? [];
  const known = new Set(attributes.map((a) => a.name));
  const added = SUBSCRIPTION_ATTRIBUTES.filter((name) => !known.has(name));
  if (added.length === 0) return [];
  if (!groups.some((g) => g.name === GROUP)) {
    groups.push({
      name: GROUP,
      displayHeader: 'Billing',
      displayDescription: 'Subscription state written by the billing engine',
    });
  }
  await admin.users.updateProfile({
    ...where,
    ...profile,
    attributes: [...attributes, ...added.map(declaration)],
    groups,
  });
  return added;
}

import { KeycloakSession } from '../../integrations/keycloak/session';
import type { KeycloakSettings } from '../../integrations/keycloak/settings';
import { ensureKeycloakUserProfile } from '../../integrations/keycloak/user-profile';

/**
 * One-time realm setup run by an operator (`npm run keycloak:setup`): declares the billing attributes in
 * the realm's user profile with the engine's own client, which needs `manage-realm` for this run only.
 * Returns the attributes it declared; an empty list means the realm was already set up.
 */
export function setupKeycloakRealm(settings: KeycloakSettings): Promise<string[]> {
  return new KeycloakSession(settings).call((admin) => ensureKeycloakUserProfile(admin));
}

/** `npm run keycloak:setup`: declares the billing attributes in the configured realm's user profile. */
import { commandConfig } from '../config/commands';
import { keycloakSettingsFromEnv } from '../integrations/keycloak/settings';
import { setupKeycloakRealm } from '../services/setup/set-up-keycloak-realm';

async function main(): Promise<void> {
  // The four KEYCLOAK_* variables, each required.
  const settings = keycloakSettingsFromEnv(commandConfig('keycloak:setup'));
  if (!settings)
    throw new Error('set KEYCLOAK_URL, KEYCLOAK_REALM, KEYCLOAK_CLIENT_ID and KEYCLOAK_CLIENT_SECRET');
  const added = await setupKeycloakRealm(settings);
  console.log(
    added.length
      ? `declared ${added.join(', ')} in realm ${settings.realm}`
      : `realm ${settings.realm} is already set up`,
  );
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});

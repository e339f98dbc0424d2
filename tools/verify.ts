/**
 * `npm run verify` (verify_stripe_integration). Checks the deployment's configuration, the Stripe key and account, the synced
 * catalog and meter, the webhook endpoint and secret, and Keycloak and Lago when configured; prints a
 * checklist with what to fix and exits 1 when anything failed. It changes nothing anywhere.
 */
import { keycloakSettingsFromEnv } from '../integrations/keycloak/settings';
import { lagoSettingsFrom } from '../integrations/lago/client';
import { createStripeClient } from '../integrations/stripe/client';
import { commandConfig } from '../config/commands';
import { ConfigError } from '../config/env';
import { openDatabase } from '../db/orm';
import { formatChecklist, verifyIntegration } from '../services/setup/verify-integration';
import { listeningAddresses } from '../services/setup/listening-sockets';
import { workerTuningCheck } from '../worker/tuning';

const TIMEOUT_MS = 10_000;

async function main(): Promise<number> {
  // What it reads; the API's own production requirements are checklist items here, not a refusal.
  const config = commandConfig('verify');
  const stripe = createStripeClient({
    secretKey: config.STRIPE_SECRET_KEY,
    apiBase: config.STRIPE_API_BASE,
    timeoutMs: TIMEOUT_MS,
  });
  // Read-only: pending migrations are left to `npm run migrate`.
  const orm = await openDatabase(config.DATABASE_URL, { migrate: false });
  try {
    const keycloak = keycloakSettingsFromEnv(config);
    const lago = lagoSettingsFrom(config.LAGO_API_URL, config.LAGO_API_KEY);
    const report = await verifyIntegration({
      orm,
      stripe,
      stripeSecretKey: config.STRIPE_SECRET_KEY,
      stripeApiBase: config.STRIPE_API_BASE,
      stripeWebhookSecret: config.STRIPE_WEBHOOK_SECRET,
      publicBaseUrl: config.PUBLIC_BASE_URL,
      keycloak: keycloak && { ...keycloak, timeoutMs: TIMEOUT_MS },
      lago: lago && { ...lago, timeoutMs: TIMEOUT_MS },
      timeoutMs: TIMEOUT_MS,
      env: process.env,
      machine: { listeningAddresses },
    });
    // The workers' tuning joins the deployment items: a value they would refuse shows here, before a start.
    const tuning = workerTuningCheck(process.env);
    const afterDeployment = report.checks.filter((c) => c.system === 'Deployment').length;
    report.checks.splice(afterDeployment, 0, tuning);
    const ok = report.ok && tuning.status !== 'fail';
    console.log(formatChecklist(report));
    return ok ? 0 : 1;
  } finally {
    await orm.close();
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err instanceof ConfigError ? err.message : `verify: ${(err as Error).message}`);
    process.exit(1);
  },
);

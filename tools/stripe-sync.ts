/** `npm run stripe:sync [-- --dry-run]`: makes the Stripe account match the plan catalog (idempotent). */
import { createStripeClient } from '../integrations/stripe/client';
import { commandConfig } from '../config/commands';
import { ConfigError } from '../config/env';
import { openDatabase } from '../db/orm';
import { syncCatalogToStripe } from '../services/setup/sync-catalog-to-stripe';

async function main(): Promise<void> {
  const dryRun = process.argv.includes('--dry-run');
  // A Stripe key (or an emulator's address) and the database: nothing of the API's.
  const config = commandConfig('stripe:sync');
  const stripe = createStripeClient({ secretKey: config.STRIPE_SECRET_KEY, apiBase: config.STRIPE_API_BASE });
  if (!stripe) throw new ConfigError('STRIPE_SECRET_KEY (or STRIPE_API_BASE for the emulator) is required');
  const orm = await openDatabase(config.DATABASE_URL);
  try {
    const { changes } = await syncCatalogToStripe(
      { stripe, orm },
      {
        dryRun,
        onStep: (s) => console.log(`${dryRun ? '[dry run] ' : ''}${s.action.padEnd(6)} ${s.what}`),
      },
    );
    console.log(
      changes
        ? `${changes} change(s)${dryRun ? ' would be made' : ' made'}`
        : 'Stripe already matches the catalog',
    );
  } finally {
    await orm.close();
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof ConfigError ? err.message : (err as Error).message);
  process.exit(1);
});

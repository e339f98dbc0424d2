import type Stripe from 'stripe';
import { createUsageActivities } from '../../activities/usage';
import { createLogger } from '../../config/logger';
import type { Dialect } from '../../db/orm';
import { syncCatalog } from '../../integrations/stripe/catalog-sync';
import { createStripeClient } from '../../integrations/stripe/client';
import { startStripeEmulator, type StripeEmulator } from '../../tools/stripe-emulator';
import { startTestIdp, type TestIdp } from '../helpers/auth';
import { openTestDatabase } from '../helpers/db';
import { startUsageApi, type UsageApi } from './fixtures';

/** A database, the identity provider, Stripe's emulator and the API: what a test of metered billing needs. */
export interface MeteredStack {
  db: Awaited<ReturnType<typeof openTestDatabase>>;
  idp: TestIdp;
  emulator: StripeEmulator;
  stripe: Stripe;
  api: UsageApi;
  /** The usage rollup's activities, on the test's clock. */
  usageActivities(clock: { now(): number }): ReturnType<typeof createUsageActivities>;
  stop(): Promise<void>;
}

/** Starts the stack, with the plans `seed` makes synced to Stripe's catalog before the API starts. */
export async function startMeteredStack(
  dialect: Dialect,
  seed: (db: MeteredStack['db']) => Promise<void> = async () => {},
): Promise<MeteredStack> {
  const [db, idp, emulator] = await Promise.all([
    openTestDatabase(dialect),
    startTestIdp(),
    startStripeEmulator({ port: 0 }),
  ]);
  const stripe = createStripeClient({ apiBase: emulator.url }) as Stripe;
  await seed(db);
  await syncCatalog(stripe, db.orm);
  const api = await startUsageApi(db.orm, idp);
  return {
    db,
    idp,
    emulator,
    stripe,
    api,
    usageActivities: (clock) =>
      createUsageActivities({
        orm: db.orm,
        logger: createLogger('silent', 'test'),
        stripe,
        now: () => clock.now(),
      }),
    async stop() {
      await api.stop();
      await Promise.all([emulator.stop(), db.close(), idp.stop()]);
    },
  };
}

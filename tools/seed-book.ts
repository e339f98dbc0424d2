/**
 * `npm run seed:book -- [--subscriptions 1000] [--plan starter] [--prefix book] [--usage 0]`: a book of live
 * subscriptions in a development engine (`npm run dev`, or any engine on Stripe's test mode), for trying
 * what acts on the whole book (a plan's rehearsal and migration, revenue, the billing day). Customers
 * `book-1` to `book-N` onboarded as a sign-in onboards them, each subscribed in Stripe with a card on file;
 * Stripe's webhooks make the engine start each subscription's workflow. A second run makes only what is
 * missing. `--usage N` then reports N model calls of each subscriber as their usage now, each with its
 * model and token counts (a month's margins to look at), again only once. Refuses a live Stripe key.
 * Exits 2 on bad input.
 */
import { parseArgs } from 'node:util';
import { commandConfig } from '../config/commands';
import { ConfigError } from '../config/env';
import { openDatabase } from '../db/orm';
import { createStripeClient } from '../integrations/stripe/client';
import { seedBook, seedUsage } from '../services/setup/seed-book';

class UsageError extends Error {}

const USAGE =
  'usage: npm run seed:book -- [--subscriptions 1..100000] [--plan CODE] [--prefix NAME] [--usage 0..100]';

export function bookArguments(argv: string[]): {
  subscriptions: number;
  plan: string;
  prefix: string;
  usage: number;
} {
  let values: { subscriptions?: string; plan?: string; prefix?: string; usage?: string };
  try {
    values = parseArgs({
      args: argv,
      options: {
        subscriptions: { type: 'string' },
        plan: { type: 'string' },
        prefix: { type: 'string' },
        usage: { type: 'string' },
      },
      strict: true,
    }).values;
  } catch (err) {
    throw new UsageError(`${(err as Error).message}; ${USAGE}`);
  }
  const subscriptions = Number(values.subscriptions ?? '1000');
  if (!/^\d+$/.test(values.subscriptions ?? '1000') || subscriptions < 1 || subscriptions > 100_000)
    throw new UsageError(`--subscriptions must be a whole number from 1 to 100000; ${USAGE}`);
  const plan = values.plan ?? 'starter';
  if (!/^[a-z0-9][a-z0-9_-]{0,63}$/.test(plan)) throw new UsageError(`--plan must be a plan code; ${USAGE}`);
  const prefix = values.prefix ?? 'book';
  if (!/^[a-z][a-z0-9-]{0,19}$/.test(prefix))
    throw new UsageError(`--prefix must be 1 to 20 lowercase letters, digits or dashes; ${USAGE}`);
  const usage = Number(values.usage ?? '0');
  if (!/^\d+$/.test(values.usage ?? '0') || usage > 100)
    throw new UsageError(`--usage must be a whole number of calls from 0 to 100; ${USAGE}`);
  return { subscriptions, plan, prefix, usage };
}

async function main(): Promise<void> {
  const args = bookArguments(process.argv.slice(2));
  const config = commandConfig('seed:book');
  if (/^(sk|rk)_live_/.test(config.STRIPE_SECRET_KEY ?? ''))
    throw new ConfigError('seed:book makes test subscriptions: it refuses a live Stripe key');
  const stripe = createStripeClient({ secretKey: config.STRIPE_SECRET_KEY, apiBase: config.STRIPE_API_BASE });
  if (!stripe) throw new ConfigError('STRIPE_SECRET_KEY (or STRIPE_API_BASE for the emulator) is required');
  const orm = await openDatabase(config.DATABASE_URL);
  const started = Date.now();
  try {
    const r = await seedBook(
      { orm, stripe },
      { ...args, onProgress: (made) => console.error(`… ${made} made`) },
    );
    console.log(
      `${args.subscriptions} subscriptions of ${args.plan} live (${args.prefix}-1 to ${args.prefix}-${args.subscriptions}): ` +
        `${r.made} made now, ${r.already} there before, in ${Math.round((Date.now() - started) / 1000)} s`,
    );
    if (args.usage > 0) {
      const u = await seedUsage(orm, { ...args, perSubscriber: args.usage });
      console.log(
        `model calls: ${u.accepted} reported now, ${u.duplicate} there before, ${u.rejected} refused`,
      );
    }
  } finally {
    await orm.close();
  }
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error((err as Error).message);
    process.exit(err instanceof UsageError || err instanceof ConfigError ? 2 : 1);
  });
}

/**
 * `npm run stripe:backfill-charges`: mirrors an existing Stripe account's charges, with their refunds and
 * disputes (and the invoices they paid, when missing), and its credit notes, into the database. Safe to
 * run again: what is mirrored already is left as it is.
 */
import {
  backfillCharges,
  type BackfillCount,
  type BackfillReport,
} from '../activities/stripe/charge-backfill';
import { createStripeClient } from '../integrations/stripe/client';
import { commandConfig } from '../config/commands';
import { ConfigError } from '../config/env';
import { openDatabase } from '../db/orm';

const line = (what: string, c: BackfillCount) =>
  `${what.padEnd(13)} ${c.seen} seen: ${c.created} new, ${c.updated} updated, ${c.unchanged} unchanged` +
  (c.skipped ? `, ${c.skipped} of customers the engine does not know (skipped)` : '');

async function main(): Promise<void> {
  const config = commandConfig('stripe:backfill-charges');
  const stripe = createStripeClient({ secretKey: config.STRIPE_SECRET_KEY, apiBase: config.STRIPE_API_BASE });
  if (!stripe) throw new ConfigError('STRIPE_SECRET_KEY (or STRIPE_API_BASE for the emulator) is required');
  const orm = await openDatabase(config.DATABASE_URL);
  try {
    const report: BackfillReport = await backfillCharges(stripe, orm, {
      onPage: (r) => console.log(`… ${r.charges.seen} charges, ${r.creditNotes.seen} credit notes so far`),
    });
    console.log(line('charges', report.charges));
    console.log(line('refunds', report.refunds));
    console.log(`${'disputes'.padEnd(13)} ${report.disputes} charges with a dispute`);
    console.log(line('credit notes', report.creditNotes));
    console.log(line('invoices', report.invoices));
    const changed = [report.charges, report.refunds, report.creditNotes, report.invoices].reduce(
      (n, c) => n + c.created + c.updated,
      0,
    );
    console.log(changed ? `${changed} row(s) written` : 'the mirror already matches Stripe');
  } finally {
    await orm.close();
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof ConfigError ? err.message : (err as Error).message);
  process.exit(1);
});

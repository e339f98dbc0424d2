/**
 * `npm run billing:reverify -- [--month YYYY-MM]`: every invoice issued in the month (the last one by
 * default, UTC) explained again with the current rules, each plan fee and usage line recomputed from its
 * inputs beside what Stripe issued. Prints the lines that differ; exits 1 when any does, 2 on bad input.
 * Reads Stripe and the database; writes nothing.
 */
import { parseArgs } from 'node:util';
import { commandConfig } from '../config/commands';
import { ConfigError } from '../config/env';
import { openDatabase } from '../db/orm';
import { monthSpan, previousMonth } from '../domain/invoice-explain';
import { createStripeClient } from '../integrations/stripe/client';
import { readIssuedLines } from '../integrations/stripe/invoice-lines';
import { reverifyInvoices } from '../services/invoices/reverify-invoices';

class UsageError extends Error {}

/** `--month`, or the month before this one; an unknown or repeated option is the caller's mistake. */
function monthArgument(): string {
  try {
    const { values } = parseArgs({ options: { month: { type: 'string' } }, strict: true });
    return values.month ?? previousMonth(new Date());
  } catch (err) {
    throw new UsageError(`${(err as Error).message}; usage: npm run billing:reverify -- [--month YYYY-MM]`);
  }
}

async function main(): Promise<number> {
  const month = monthArgument();
  const span = monthSpan(month);
  if (!span)
    throw new UsageError(`--month must be a month as YYYY-MM (01 to 12), not ${JSON.stringify(month)}`);
  const config = commandConfig('billing:reverify');
  const stripe = createStripeClient({ secretKey: config.STRIPE_SECRET_KEY, apiBase: config.STRIPE_API_BASE });
  if (!stripe) throw new ConfigError('STRIPE_SECRET_KEY (or STRIPE_API_BASE for the emulator) is required');
  const orm = await openDatabase(config.DATABASE_URL);
  try {
    const report = await reverifyInvoices(
      orm.em.fork(),
      span,
      (id) => readIssuedLines(stripe, id),
      (r) => console.error(`… ${r.invoices} invoices so far`),
    );
    for (const d of report.differing)
      console.log(
        `DIFFERS ${d.stripeInvoiceId} ${d.number ?? '-'} ${d.customerEmail} ${d.kind} "${d.description}": ` +
          `issued ${d.issuedCents}, recomputed ${d.recomputedCents} (cents)`,
      );
    console.log(
      `${month}: ${report.invoices} invoices, ${report.lines} lines, ${report.recomputed} recomputed, ` +
        (report.differing.length ? `${report.differing.length} differ` : 'all match'),
    );
    return report.differing.length ? 1 : 0;
  } finally {
    await orm.close();
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error((err as Error).message);
    process.exit(err instanceof UsageError || err instanceof ConfigError ? 2 : 1);
  },
);

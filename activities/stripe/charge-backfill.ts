import { wrap, type EntityManager, type MikroORM } from '@mikro-orm/core';
import type Stripe from 'stripe';
import { Charge, CreditNote, Customer, Invoice, Refund } from '../../db/entities';
import { upsertCharge, upsertCreditNote, upsertInvoice, upsertRefund } from '../../db/mirror';
import { latestDispute } from './invoice-money';
import { expandableId } from '../../integrations/stripe/expandable-id';

/** What one kind of object did in a backfill: mirrored for the first time, changed, or already right. */
export interface BackfillCount {
  seen: number;
  created: number;
  updated: number;
  unchanged: number;
  /** Of customers the engine does not know: not mirrored, as their Stripe events would not be either. */
  skipped: number;
}

export interface BackfillReport {
  charges: BackfillCount;
  refunds: BackfillCount;
  /** Charges whose dispute was mirrored. */
  disputes: number;
  creditNotes: BackfillCount;
  /** Invoices of mirrored charges that were not mirrored yet. */
  invoices: BackfillCount;
}

const count = (): BackfillCount => ({ seen: 0, created: 0, updated: 0, unchanged: 0, skipped: 0 });

/**
 * A row's columns, to tell whether an upsert changed it: related rows by their id only, since whether
 * one happens to be loaded says nothing about the row.
 */
function snapshot(row: object | null): string | null {
  if (!row) return null;
  const columns = Object.entries(row)
    .map(([k, v]): [string, unknown] => [
      k,
      v instanceof Date
        ? v.toISOString()
        : v !== null && typeof v === 'object'
          ? String(wrap(v, true).getPrimaryKey())
          : v,
    ])
    .sort(([a], [b]) => a.localeCompare(b));
  return JSON.stringify(columns);
}

/**
 * Writes one object with `upsert`, counting whether it was new, changed or already as Stripe has it.
 * `find` reads the row first, from the same entity manager, so the snapshot is of the stored state.
 */
async function counted<T extends object>(
  c: BackfillCount,
  find: () => Promise<T | null>,
  upsert: () => Promise<T | null>,
): Promise<T | null> {
  c.seen++;
  const before = snapshot(await find());
  const row = await upsert();
  if (!row) c.skipped++;
  else if (before === null) c.created++;
  else if (snapshot(row) === before) c.unchanged++;
  else c.updated++;
  return row;
}

/**
 * Mirrors an existing Stripe account's charges (with their refunds and disputes, and the invoices they
 * paid when missing) and credit notes, page by page, newest first. It upserts by Stripe id with the same
 * rules as the Stripe events' runs, so running it twice, or while Stripe events arrive, changes nothing more.
 */
export async function backfillCharges(
  stripe: Stripe,
  orm: MikroORM,
  opts: { onPage?: (report: BackfillReport) => void } = {},
): Promise<BackfillReport> {
  const report: BackfillReport = {
    charges: count(),
    refunds: count(),
    disputes: 0,
    creditNotes: count(),
    invoices: count(),
  };
  // Customers the engine knows: charges of the others are skipped without a call per charge.
  const known = async (em: EntityManager, stripeCustomerId: string | null) =>
    stripeCustomerId !== null && (await em.count(Customer, { stripeCustomerId })) > 0;

  let page: Stripe.Charge[] = [];
  const flushCharges = async () => {
    // One unit of work per page keeps the identity map small on large accounts.
    const em = orm.em.fork();
    for (const ch of page) await backfillCharge(em, ch);
    page = [];
    opts.onPage?.(report);
  };
  const backfillCharge = async (em: EntityManager, ch: Stripe.Charge) => {
    if (!(await known(em, expandableId(ch.customer)))) {
      report.charges.seen++;
      report.charges.skipped++;
      return;
    }
    // Newer API versions drop `invoice` from the charge type; Stripe and the emulator still send it.
    const stripeInvoiceId = expandableId((ch as unknown as { invoice?: unknown }).invoice);
    if (stripeInvoiceId && (await em.count(Invoice, { stripeInvoiceId })) === 0) {
      const inv = await stripe.invoices.retrieve(stripeInvoiceId);
      await counted(
        report.invoices,
        async () => null,
        () => upsertInvoice(em, inv),
      );
    }
    const dispute = ch.disputed ? await latestDispute(stripe, ch.id) : null;
    const row = await counted(
      report.charges,
      () => em.findOne(Charge, { stripeChargeId: ch.id }),
      // The row as stored after the write, read as `find` read it before, so the two compare.
      async () =>
        (await upsertCharge(em, ch, dispute))
          ? em.findOne(Charge, { stripeChargeId: ch.id }, { refresh: true })
          : null,
    );
    if (row && dispute) report.disputes++;
    if (!row || (ch.amount_refunded === 0 && (await em.count(Refund, { charge: row.id })) === 0)) return;
    for await (const r of stripe.refunds.list({ charge: ch.id, limit: 100 })) {
      await counted(
        report.refunds,
        () => em.findOne(Refund, { stripeRefundId: r.id }),
        () => upsertRefund(em, r),
      );
    }
  };

  for await (const ch of stripe.charges.list({ limit: 100 })) {
    page.push(ch);
    if (page.length === 100) await flushCharges();
  }
  if (page.length > 0) await flushCharges();

  let em = orm.em.fork();
  let n = 0;
  for await (const cn of stripe.creditNotes.list({ limit: 100 })) {
    if (!(await known(em, expandableId(cn.customer)))) {
      report.creditNotes.seen++;
      report.creditNotes.skipped++;
      continue;
    }
    await counted(
      report.creditNotes,
      () => em.findOne(CreditNote, { stripeCreditNoteId: cn.id }),
      () => upsertCreditNote(em, cn),
    );
    if (++n % 100 === 0) {
      em = orm.em.fork();
      opts.onPage?.(report);
    }
  }
  return report;
}

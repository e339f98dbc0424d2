import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/core';
import {
  changesBetween,
  chargesOfInvoice,
  invoiceByEitherId,
  linePriceOf,
  periodCreditDraws,
  periodEvents,
  periodUsageLineage,
  type CreditDrawLineage,
  type EventLineage,
  type RollupLineage,
} from '../../db/invoice-lineage';
import { sqlFor } from '../../db/raw-sql';
import { allModelRates, periodCostGroups } from '../../db/model-costs';
import { COST_CURRENCY } from '../../domain/model-costs/catalogue';
import { conversion } from '../../domain/currency/exchange-rates';
import { readExchangeRates } from '../../db/exchange-rates';
import { costByLine, type LineCost } from '../../domain/model-costs/margins';
import { notFound } from '../../domain/errors';
import type { Identity } from '../../domain/identity';
import {
  allMatch,
  explainLine,
  type BillingPeriod,
  type ExplainedLine,
  type IssuedLine,
  type LinePrice,
} from '../../domain/invoice-explain';
import type { Invoice } from '../../db/entities';
import { workflowIds } from '../../workflows/ids';
import { periodHolding } from '../../domain/billing-cycle';
import type { CoreDeps } from '../deps';
import { callWorkflow } from '../temporal/gateway';
import { workflowType } from '../temporal/workflow-type';
import { runsAt } from '../temporal/runs';

/** A usage line's inputs: the period's rollups, the events they summed and the prepaid credits drawn. */
export interface UsageLineage {
  periodStart: Date;
  rollups: RollupLineage[];
  events: EventLineage;
  /** The ledger's draws on prepaid grants in the period: usage they paid is not billed on the line. */
  creditDraws: CreditDrawLineage[];
}

export interface LineWithLineage extends ExplainedLine {
  usage: UsageLineage | null;
  /** A proration's cause: the subscription's changes of price or state inside the line's period. */
  changes: { at: Date; fromTier: string | null; toTier: string; fromCents: number | null; toCents: number }[];
}

/** An issued invoice explained: each line with its rule, inputs and recomputation, and who produced it. */
export interface InvoiceExplanation {
  invoice: Invoice;
  lines: LineWithLineage[];
  /** Every recomputed line came to the cents Stripe issued. */
  allMatch: boolean;
  paymentIntentId: string | null;
  charges: { stripeChargeId: string; amountCents: number; refundedCents: number; status: string }[];
  /** The workflows whose work the invoice bills: the subscription's run and the usage rollup. */
  workflows: { subscription: string | null; usageRollup: string };
  /** For an admin: each of those workflows' run that was open when it did the work (null: not found). */
  runs?: Map<string, string | null>;
  /** For an admin: what each line's usage cost the platform, by line (null: not usage, or not costed). */
  costs?: (LineCost | null)[];
}

/** One of the caller's own invoices explained (another customer's invoice is a 404, as for its PDF). */
export async function explainOwnInvoice(
  deps: CoreDeps,
  identity: Identity,
  stripeInvoiceId: string,
): Promise<InvoiceExplanation> {
  const em = deps.orm.em.fork();
  const invoice = await invoiceByEitherId(em, stripeInvoiceId);
  if (!invoice || invoice.customer.userId !== identity.sub) throw notFound('invoice', stripeInvoiceId);
  return explain(deps, em, invoice);
}

/** Any invoice explained, for an admin, by Stripe's id or the engine's. */
export async function explainAnyInvoice(deps: CoreDeps, invoiceId: string): Promise<InvoiceExplanation> {
  const em = deps.orm.em.fork();
  const invoice = await invoiceByEitherId(em, invoiceId);
  if (!invoice) throw notFound('invoice', invoiceId);
  const e = await explain(deps, em, invoice);
  // The subscription's run open when Stripe issued the invoice; the rollup's run open when it reported the
  // last of the usage the invoice bills.
  const reported = e.lines
    .flatMap((l) => l.usage?.rollups ?? [])
    .flatMap((r) => (r.stripeReportedAt ? [r.stripeReportedAt.getTime()] : []));
  const wanted = [
    ...(e.workflows.subscription ? [{ workflowId: e.workflows.subscription, at: invoice.createdAt }] : []),
    ...(reported.length
      ? [{ workflowId: e.workflows.usageRollup, at: new Date(Math.max(...reported)) }]
      : []),
  ];
  return { ...e, runs: await runsAt(deps, wanted), costs: await usageCosts(em, e) };
}

/**
 * What each usage line cost the platform (for an admin: a customer never sees the platform's costs), in
 * the invoice's currency (converted at the admin's exchange rates when not the catalogue's); null for other
 * lines, and for all of them when the rates cannot convert.
 */
async function usageCosts(em: EntityManager, e: InvoiceExplanation): Promise<(LineCost | null)[]> {
  // Rates are read only for an invoice that needs converting (undefined: none needed; null: none set).
  const into =
    e.invoice.currency === COST_CURRENCY
      ? undefined
      : conversion(await readExchangeRates(em), COST_CURRENCY, e.invoice.currency);
  if (into === null) return e.lines.map(() => null);
  const rates = await allModelRates(em);
  const sql = sqlFor(em);
  const out: (LineCost | null)[] = [];
  for (const l of e.lines) {
    out.push(
      l.usage
        ? costByLine(await periodCostGroups(sql, e.invoice.customer.id, l.usage.periodStart), rates, into)
        : null,
    );
  }
  return out;
}

async function explain(deps: CoreDeps, em: EntityManager, invoice: Invoice): Promise<InvoiceExplanation> {
  return explainFromLines(em, invoice, await issuedLines(deps, invoice.stripeInvoiceId));
}

/** An invoice explained from Stripe's lines of it, however they were read. */
export async function explainFromLines(
  em: EntityManager,
  invoice: Invoice,
  issued: IssuedInvoiceLines,
): Promise<InvoiceExplanation> {
  const prices = new Map<string, LinePrice | null>();
  for (const id of new Set(issued.lines.flatMap((l) => (l.priceId ? [l.priceId] : []))))
    prices.set(id, await linePriceOf(em, id));
  const sql = sqlFor(em);
  const lines: LineWithLineage[] = [];
  for (const line of issued.lines) {
    const price = line.priceId ? (prices.get(line.priceId) ?? null) : null;
    const usage = price?.role === 'usage' && !line.proration ? await usageOf(sql, invoice, line) : null;
    const explained = explainLine(
      line,
      price,
      usage && { unitsByLine: usage.unitsByLine },
      line.proration ? periodOfChange(invoice, line) : null,
    );
    lines.push({
      ...explained,
      usage: usage && {
        periodStart: usage.periodStart,
        rollups: usage.rollups,
        events: usage.events,
        creditDraws: usage.creditDraws,
      },
      changes: explained.kind === 'proration' ? await prorationCauses(em, invoice, line) : [],
    });
  }
  const charges = await chargesOfInvoice(em, invoice.id);
  return {
    invoice,
    lines,
    allMatch: allMatch(lines),
    paymentIntentId: issued.paymentIntentId,
    charges: charges.map((c) => ({
      stripeChargeId: c.stripeChargeId,
      amountCents: c.amountCents,
      refundedCents: c.amountRefundedCents,
      status: c.status,
    })),
    workflows: {
      subscription: invoice.subscription ? workflowIds.subscription(invoice.subscription.id) : null,
      usageRollup: workflowIds.usageRollup(),
    },
  };
}

/**
 * The billing period a proration's change fell in, stepped back from the subscription's current one as the
 * mirror holds it; null without one. A proration line of another period is then not recomputed.
 */
function periodOfChange(invoice: Invoice, line: IssuedLine): BillingPeriod | null {
  const sub = invoice.subscription;
  if (!sub?.currentPeriodStart || !sub.currentPeriodEnd) return null;
  const held = periodHolding(new Date(line.periodStart), {
    start: sub.currentPeriodStart,
    interval: sub.interval,
  });
  return { start: held.start, end: held.end ?? sub.currentPeriodEnd };
}

/** Stripe's lines of an invoice and the payment that paid it. */
export interface IssuedInvoiceLines {
  lines: IssuedLine[];
  paymentIntentId: string | null;
}

/** Stripe's lines of the invoice, read by a short workflow (the API never calls Stripe itself). */
function issuedLines(deps: CoreDeps, stripeInvoiceId: string): Promise<IssuedInvoiceLines> {
  return callWorkflow(deps, () =>
    deps.temporal.workflow.execute(workflowType('invoiceLinesWorkflow'), {
      workflowId: workflowIds.invoiceLines(stripeInvoiceId, randomUUID()),
      taskQueue: deps.config.TEMPORAL_TASK_QUEUE,
      args: [{ stripeInvoiceId }],
    }),
  );
}

/** The usage a metered line bills: the rollups of the period it covers (its start names the period). */
async function usageOf(sql: ReturnType<typeof sqlFor>, invoice: Invoice, line: IssuedLine) {
  const periodStart = new Date(line.periodStart);
  const [lineage, creditDraws] = await Promise.all([
    periodUsageLineage(sql, invoice.customer.id, periodStart),
    periodCreditDraws(sql, invoice.customer.id, periodStart),
  ]);
  return { periodStart, ...lineage, creditDraws };
}

async function prorationCauses(em: EntityManager, invoice: Invoice, line: IssuedLine) {
  if (!invoice.subscription) return [];
  // A change is recorded when the mirror sees it, a moment after the proration's start.
  const from = new Date(Date.parse(line.periodStart) - 60_000);
  const to = new Date(line.periodEnd);
  const changes = await changesBetween(em, invoice.subscription.id, from, to);
  return changes.map((c) => ({
    at: c.at,
    fromTier: c.oldTier ?? null,
    toTier: c.newTier,
    fromCents: c.oldAmountCents ?? null,
    toCents: c.newAmountCents,
  }));
}

/** Every event behind an explanation's usage lines, whole (the explanation lists the first hundred). */
export async function eventsBehind(deps: CoreDeps, e: InvoiceExplanation) {
  const sql = sqlFor(deps.orm.em.fork());
  const periods = e.lines.flatMap((l) => (l.usage ? [l.usage.periodStart] : []));
  const out = [];
  for (const p of periods) out.push(...(await periodEvents(sql, e.invoice.customer.id, p)));
  return out;
}

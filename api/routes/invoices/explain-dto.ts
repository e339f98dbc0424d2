import type { InvoiceExplanation, LineWithLineage } from '../../../services/invoices/explain-invoice';
import { csvCell } from '../../../services/admin-lists/export-customers';

const iso = (d: Date | null | undefined) => (d ? d.toISOString() : null);

/** A line as its customer reads it: what it bills, by which terms, from which usage, and the check. */
export function explainedLineDto(l: LineWithLineage) {
  const r = l.recomputation;
  return {
    kind: l.kind,
    description: l.line.description,
    quantity: l.line.quantity,
    amount_cents: l.line.amountCents,
    discount_cents: l.line.discountCents,
    tax_cents: l.line.taxCents,
    period_start: l.line.periodStart,
    period_end: l.line.periodEnd,
    plan: l.price && {
      name: l.price.planName,
      interval: l.price.interval,
      currency: l.price.currency,
      /** The plan's fee a cycle (a seat's, priced per seat). */
      unit_cents: l.price.unitCents,
    },
    rated:
      l.rated?.map((x) => ({
        line_key: x.key,
        units: x.units,
        included_units: x.includedUsed,
        priced_units: x.priced,
        cents: x.cents,
      })) ?? null,
    usage: l.usage && {
      period_start: l.usage.periodStart.toISOString(),
      rollups: l.usage.rollups.length,
      events: {
        count: l.usage.events.count,
        units: l.usage.events.units,
        paid_ahead_units: l.usage.events.paidAheadUnits,
        first_at: iso(l.usage.events.firstAt),
        last_at: iso(l.usage.events.lastAt),
        ids: l.usage.events.ids,
        ids_sha256: l.usage.events.idsSha256,
      },
      credit_draws: l.usage.creditDraws.map((d) => ({
        grant_id: d.grantId,
        units: d.units,
        movement_ids: d.movementIds,
        first_at: d.firstAt.toISOString(),
        last_at: d.lastAt.toISOString(),
      })),
    },
    changes: l.changes.map((c) => ({
      at: c.at.toISOString(),
      from_tier: c.fromTier,
      to_tier: c.toTier,
      from_cents: c.fromCents,
      to_cents: c.toCents,
    })),
    recomputed_cents: r.recomputedCents,
    matches: r.matches,
    not_recomputed_because: r.recomputedCents === null ? r.why : null,
  };
}

/** The invoice's own figures, as the invoice list has them. */
export function explainedInvoiceDto(e: InvoiceExplanation) {
  const i = e.invoice;
  return {
    id: i.stripeInvoiceId,
    number: i.number ?? null,
    status: i.status,
    currency: i.currency,
    subtotal_cents: i.subtotalCents,
    discount_cents: i.discountCents,
    tax_cents: i.taxCents,
    total_cents: i.totalCents,
    amount_paid_cents: i.amountPaidCents,
    period_start: iso(i.periodStart),
    period_end: iso(i.periodEnd),
  };
}

export function invoiceExplanationDto(e: InvoiceExplanation) {
  return { invoice: explainedInvoiceDto(e), all_match: e.allMatch, lines: e.lines.map(explainedLineDto) };
}

const CSV_COLUMNS = [
  'kind',
  'description',
  'period_start',
  'period_end',
  'quantity',
  'amount_cents',
  'discount_cents',
  'tax_cents',
  'plan',
  'unit_cents',
  'rate_line',
  'units',
  'included_units',
  'priced_units',
  'rated_cents',
  'events',
  'event_ids_sha256',
  'recomputed_cents',
  'matches',
] as const;

/**
 * The explanation as CSV: a row a line, then a row for each rate-card line a usage line was rated by
 * (its own cents beside the line's). Cells that start like a formula are quoted (csvCell).
 */
export function invoiceExplanationCsv(e: InvoiceExplanation): string {
  const rows: (string | number | boolean | null)[][] = [];
  for (const l of e.lines) {
    const d = explainedLineDto(l);
    const head = [d.kind, d.description, d.period_start, d.period_end, d.quantity, d.amount_cents];
    rows.push([
      ...head,
      d.discount_cents,
      d.tax_cents,
      d.plan?.name ?? null,
      d.plan?.unit_cents ?? null,
      null,
      null,
      null,
      null,
      null,
      d.usage?.events.count ?? null,
      d.usage?.events.ids_sha256 ?? null,
      d.recomputed_cents,
      d.matches,
    ]);
    for (const x of d.rated ?? [])
      rows.push([
        'rated',
        d.description,
        d.period_start,
        d.period_end,
        null,
        null,
        null,
        null,
        d.plan?.name ?? null,
        null,
        x.line_key,
        x.units,
        x.included_units,
        x.priced_units,
        x.cents,
        null,
        null,
        null,
        null,
      ]);
  }
  const cell = (v: string | number | boolean | null) => csvCell(v === null ? null : String(v));
  return [CSV_COLUMNS.join(','), ...rows.map((r) => r.map(cell).join(','))].join('\r\n') + '\r\n';
}

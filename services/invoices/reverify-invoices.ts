import type { EntityManager } from '@mikro-orm/core';
import { invoicesIssuedBetween } from '../../db/invoice-lineage';
import { explainFromLines, type IssuedInvoiceLines } from './explain-invoice';

/** A line whose recomputation differs from what was issued. */
export interface DifferingLine {
  stripeInvoiceId: string;
  number: string | null;
  customerEmail: string;
  kind: string;
  description: string;
  issuedCents: number;
  recomputedCents: number;
}

export interface ReverifyReport {
  invoices: number;
  lines: number;
  /** Lines the rules recompute (plan fees and usage); the others are shown as issued. */
  recomputed: number;
  differing: DifferingLine[];
}

const PAGE = 100;

/**
 * Every invoice issued in a span explained again with the current rules: a regression check of the
 * billing code over a closed month. Stripe's lines come from `readLines`; nothing is written.
 */
export async function reverifyInvoices(
  em: EntityManager,
  span: { from: Date; to: Date },
  readLines: (stripeInvoiceId: string) => Promise<IssuedInvoiceLines>,
  onPage?: (report: ReverifyReport) => void,
): Promise<ReverifyReport> {
  const report: ReverifyReport = { invoices: 0, lines: 0, recomputed: 0, differing: [] };
  let after: { createdAt: Date; id: string } | null = null;
  for (;;) {
    const page = await invoicesIssuedBetween(em, span, after, PAGE);
    for (const invoice of page) {
      const explained = await explainFromLines(em, invoice, await readLines(invoice.stripeInvoiceId));
      report.invoices++;
      for (const l of explained.lines) {
        report.lines++;
        if (l.recomputation.recomputedCents === null) continue;
        report.recomputed++;
        if (l.recomputation.matches) continue;
        report.differing.push({
          stripeInvoiceId: invoice.stripeInvoiceId,
          number: invoice.number ?? null,
          customerEmail: invoice.customer.email,
          kind: l.kind,
          description: l.line.description,
          issuedCents: l.line.amountCents,
          recomputedCents: l.recomputation.recomputedCents,
        });
      }
    }
    const last = page[page.length - 1];
    if (!last || page.length < PAGE) return report;
    after = { createdAt: last.createdAt, id: last.id };
    em.clear();
    onPage?.(report);
  }
}

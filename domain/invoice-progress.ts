/**
 * How far along a Stripe invoice is. Stripe only ever moves an invoice forwards: draft → open → paid, void
 * or uncollectible (uncollectible → paid or void); each payment attempt adds one to its attempt count, and
 * the amount paid only grows. So of two reads of one invoice, the one further along is the newer, whichever
 * arrives last: an event's payload or a read that began before another's ends can then never move the
 * mirror backwards.
 */
export interface InvoiceProgress {
  status: string;
  attemptCount: number;
  amountPaidCents: number;
}

const STATUS_RANK: Record<string, number> = { draft: 0, open: 1, uncollectible: 2, paid: 3, void: 3 };

function rankOf(status: string): number {
  return STATUS_RANK[status] ?? 0;
}

/** Whether `read` shows the invoice at an earlier point than `stored` (equal progress is not behind). */
export function isBehind(read: InvoiceProgress, stored: InvoiceProgress): boolean {
  const byStatus = rankOf(read.status) - rankOf(stored.status);
  if (byStatus !== 0) return byStatus < 0;
  if (read.attemptCount !== stored.attemptCount) return read.attemptCount < stored.attemptCount;
  return read.amountPaidCents < stored.amountPaidCents;
}

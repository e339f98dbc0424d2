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

/** How far along a copy of a Stripe invoice (a read or an event's payload) shows it; absent fields as Stripe's defaults. */
export function progressOfInvoice(inv: {
  status?: string | null;
  attempt_count?: number | null;
  amount_paid?: number | null;
}): InvoiceProgress {
  return {
    status: inv.status ?? 'draft',
    attemptCount: inv.attempt_count ?? 0,
    amountPaidCents: inv.amount_paid ?? 0,
  };
}

/** Whether `read` shows the invoice at an earlier point than `stored` (equal progress is not behind). */
export function isBehind(read: InvoiceProgress, stored: InvoiceProgress): boolean {
  const byStatus = rankOf(read.status) - rankOf(stored.status);
  if (byStatus !== 0) return byStatus < 0;
  if (read.attemptCount !== stored.attemptCount) return read.attemptCount < stored.attemptCount;
  return read.amountPaidCents < stored.amountPaidCents;
}

/**
 * What the mirror announces (outgoing webhooks, the customer's activity) when a copy of an invoice lands
 * on the stored row: paid the first time it is seen paid, and each payment attempt Stripe counted that left
 * it open. Announcements are named after the invoice (and the attempt), so one is never made twice.
 */
export type InvoiceNotice = { type: 'invoice.paid' } | { type: 'invoice.payment_failed'; attempt: number };

export function noticeOf(copy: InvoiceProgress, stored: InvoiceProgress | null): InvoiceNotice | null {
  if (copy.status === 'paid') return stored?.status === 'paid' ? null : { type: 'invoice.paid' };
  if (copy.status === 'open' && copy.attemptCount > (stored?.attemptCount ?? 0))
    return { type: 'invoice.payment_failed', attempt: copy.attemptCount };
  return null;
}

/**
 * Whether writing only `later` leaves the mirror as writing `earlier` and then `later` would, whatever the
 * mirror held before: `later` is at least as far along, and it announces whatever `earlier` would have. A
 * failed attempt is its own announcement, so a copy that shows a further attempt does not stand in for it.
 */
export function covers(later: InvoiceProgress, earlier: InvoiceProgress): boolean {
  if (isBehind(later, earlier)) return false;
  if (earlier.status === 'paid') return later.status === 'paid';
  if (earlier.status === 'open' && earlier.attemptCount > 0)
    return later.status === 'open' && later.attemptCount === earlier.attemptCount;
  return true;
}

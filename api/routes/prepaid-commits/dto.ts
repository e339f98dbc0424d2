import { centsToDollars } from '../../../domain/money';
import type { PrepaidCommitView } from '../../../services/commitments/prepaid-commits';

export function prepaidCommitDto(v: PrepaidCommitView) {
  const c = v.commit;
  return {
    id: c.id,
    amount_cents: c.amountCents,
    amount: centsToDollars(c.amountCents),
    currency: c.currency,
    periods: c.periods,
    unused: c.unused,
    status: c.status,
    starts_at: c.startsAt.toISOString(),
    funded_at: c.fundedAt?.toISOString() ?? null,
    term_ends_at: c.termEndsAt?.toISOString() ?? null,
    drawn_cents: v.drawnCents,
    remaining_cents: v.remainingCents,
    expired_cents: c.expiredCents ?? 0,
    rolled_over_cents: c.rolledOverCents ?? 0,
    invoice_id: c.stripeInvoiceId ?? null,
    created_at: c.createdAt.toISOString(),
  };
}

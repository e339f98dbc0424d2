import type { Commitment, CommitmentPeriod } from '../../../db/entities';
import { centsToDollars } from '../../../domain/money';
import type { CommitmentsView } from '../../../services/commitments/commitments';

function commitmentDto(c: Commitment) {
  return {
    id: c.id,
    minimum_cents: c.minimumCents,
    minimum: centsToDollars(c.minimumCents),
    currency: c.currency,
    starts_at: c.startsAt.toISOString(),
    ended_at: c.endedAt?.toISOString() ?? null,
    created_at: c.createdAt.toISOString(),
  };
}

function periodDto(p: CommitmentPeriod) {
  return {
    commitment_id: p.commitmentId,
    period_start: p.periodStart.toISOString(),
    period_end: p.periodEnd.toISOString(),
    minimum_cents: p.minimumCents,
    consumed_cents: p.consumedCents,
    true_up_cents: p.trueUpCents,
    currency: p.currency,
    invoice_id: p.stripeInvoiceId ?? null,
  };
}

export function commitmentsDto(v: CommitmentsView) {
  return {
    commitment: v.current ? commitmentDto(v.current) : null,
    ended: v.ended.map(commitmentDto),
    periods: v.periods.map(periodDto),
  };
}

import { centsToDollars } from '../../../domain/money';
import type { SeatChange } from '../../../services/subscriptions/change-seats';

export function seatChangeDto(c: SeatChange) {
  return {
    seats: c.seats,
    previous_seats: c.previousSeats,
    amount_cents: c.amountCents,
    amount: centsToDollars(c.amountCents),
    invoiced_now: c.invoicedNow,
    credit_cents: c.creditCents,
    charge_cents: c.chargeCents,
    discount_cents: c.discountCents,
    due_now_cents: c.dueNowCents,
    applied: c.applied,
  };
}

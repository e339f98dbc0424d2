import type { Plan } from './api/client';
import { money } from './format';
import type { Cycle } from './plan-terms';

type Tiers = NonNullable<NonNullable<Plan['seats']>['tiers']>;

/** Each band of a plan's seat tiers with one seat's price in it for the cycle (the engine prices them). */
function bandsFor(tiers: Tiers, cycle: Cycle): { from: number; cents: number; off: number }[] {
  return tiers.bands.map((b) => ({
    from: b.from_seat,
    off: b.percent_off,
    cents: cycle === 'yearly' && b.price_yearly_cents !== null ? b.price_yearly_cents : b.price_monthly_cents,
  }));
}

/**
 * What `seats` seats cost a period, as the checkout will charge: on graduated tiers each seat at its band's
 * price, on volume tiers every seat at the price of the band the count reaches.
 */
export function seatTotalCents(plan: Plan, cycle: Cycle, perSeatCents: number, seats: number): number {
  const tiers = plan.seats?.tiers;
  if (!tiers) return perSeatCents * seats;
  const bands = bandsFor(tiers, cycle);
  const priceOfSeat = (n: number) => [...bands].reverse().find((b) => n >= b.from)?.cents ?? perSeatCents;
  if (tiers.mode === 'volume') return priceOfSeat(seats) * seats;
  let total = 0;
  for (let n = 1; n <= seats; n++) total += priceOfSeat(n);
  return total;
}

/** The plan's volume discounts on seats, in the customer's words. */
export function SeatBands({ plan, cycle, per }: { plan: Plan; cycle: Cycle; per: string }) {
  const tiers = plan.seats?.tiers;
  if (!tiers) return null;
  return (
    <ul className="seat-bands" aria-label="Seat discounts">
      {bandsFor(tiers, cycle).map((b) => (
        <li key={b.from}>
          {tiers.mode === 'volume' ? `${b.from} seats or more: every seat ` : `From seat ${b.from}: `}
          {money(b.cents, plan.currency)} / {per} ({b.off}% off)
        </li>
      ))}
    </ul>
  );
}

import {
  MAX_SEATS,
  seatAmountCents,
  seatChangeInvoicesNow,
  seatChangeProration,
  seatCountProblem,
  seatPlanChangeProblem,
  seatsAtCheckout,
  seatTermsOf,
  seatTermsProblem,
} from '../../domain/seats';

const DAY_MS = 86_400_000;

describe('seats', () => {
  it.each([
    [null, null],
    [{ min: 1, max: null }, null],
    [{ min: 5, max: 5 }, null],
    [{ min: 0, max: null }, 'seats.min must be a whole number from 1'],
    [{ min: 1.5, max: null }, 'seats.min must be a whole number from 1'],
    [{ min: 5, max: 4 }, 'seats.max must be a whole number at least seats.min'],
    [{ min: 1, max: MAX_SEATS + 1 }, `seats.max must be at most ${MAX_SEATS}`],
    [{ min: MAX_SEATS + 1, max: null }, `seats.min must be at most ${MAX_SEATS}`],
  ])('sells the seat range %j: %s', (terms, problem) => {
    expect(seatTermsProblem(terms)).toBe(problem);
  });

  it.each([
    [{ min: 3, max: 10 }, 3, null],
    [{ min: 3, max: 10 }, 10, null],
    [{ min: 3, max: 10 }, 2, 'seats_out_of_range'],
    [{ min: 3, max: 10 }, 11, 'seats_out_of_range'],
    [{ min: 3, max: 10 }, 4.5, 'seats_out_of_range'],
    [{ min: 1, max: null }, MAX_SEATS, null],
    [{ min: 1, max: null }, MAX_SEATS + 1, 'seats_out_of_range'],
    [null, 1, 'seats_not_offered'],
  ])('holds %j with %d seats: %s', (terms, seats, code) => {
    expect(seatCountProblem(terms, seats)?.code ?? null).toBe(code);
  });

  it.each([
    [5, 8, true],
    [8, 6, false],
    [6, 6, false],
    [1, MAX_SEATS, true],
  ])('with %d seats held, a change to %d is invoiced now: %s', (held, asked, now) => {
    expect(seatChangeInvoicesNow(held, asked)).toBe(now);
  });

  it('sells the plan minimum at checkout unless told, and one unit on a plan not priced per seat', () => {
    expect(seatsAtCheckout({ min: 3, max: null }, null)).toBe(3);
    expect(seatsAtCheckout({ min: 3, max: null }, 7)).toBe(7);
    expect(seatsAtCheckout(null, null)).toBe(1);
    expect(seatAmountCents(1500, 7)).toBe(10_500);
    expect(seatTermsOf({ seatMin: null, seatMax: 5 })).toBeNull();
    expect(seatTermsOf({ seatMin: 2, seatMax: null })).toEqual({ min: 2, max: null });
  });

  it.each([
    // Halfway through a 30-day month at $15.00 a seat, 3 → 5 seats: −22.50 + 37.50 = 15.00, invoiced now.
    [1500, 3, 5, 15, { creditCents: -2250, chargeCents: 3750, netCents: 1500, invoicedNow: true }],
    // 5 → 3 seats with 10 of 30 days left: −25.00 + 15.00, a credit of 10.00 left for the next invoice.
    [1500, 5, 3, 20, { creditCents: -2500, chargeCents: 1500, netCents: -1000, invoicedNow: false }],
    // A third of a month left at $9.99 a seat, 1 → 2: each line rounded on its own (−3.33, +6.66).
    [999, 1, 2, 20, { creditCents: -333, chargeCents: 666, netCents: 333, invoicedNow: true }],
  ])('prorates %i cents a seat from %i to %i seats on day %i of 30 as %j', (perSeat, from, to, day, want) => {
    const start = Date.UTC(2026, 10, 1);
    expect(
      seatChangeProration({
        perSeatCents: perSeat,
        from,
        to,
        periodStartMs: start,
        periodEndMs: start + 30 * DAY_MS,
        atMs: start + day * DAY_MS,
      }),
    ).toMatchObject(want);
  });

  it.each([
    [null, null, 1, null],
    [{ min: 1, max: null }, { min: 2, max: 20 }, 5, null],
    [{ min: 1, max: null }, { min: 10, max: 20 }, 5, 'seats_out_of_range'],
    [{ min: 1, max: null }, null, 5, 'seats_not_offered'],
    [null, { min: 1, max: null }, 1, 'seats_not_offered'],
  ])('moves a subscription from %j to %j with %i seats: %s', (from, to, seats, code) => {
    expect(seatPlanChangeProblem(from, to, seats)?.code ?? null).toBe(code);
  });
});

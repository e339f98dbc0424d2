import fc from 'fast-check';
import {
  bandSeatCents,
  MAX_SEAT_BANDS,
  MAX_SEATS,
  seatAmountCents,
  seatChangeProration,
  seatTiersProblem,
  stripeSeatTiers,
  type SeatTiers,
} from '../../domain/seats';
import { priceAmount } from '../../tools/stripe-emulator/billing/tiers';
import type { PriceRec } from '../../tools/stripe-emulator/types';

const DAY_MS = 86_400_000;
const tiers = (mode: SeatTiers['mode'], ...bands: [number, number][]): SeatTiers => ({
  mode,
  bands: bands.map(([fromSeat, percentOff]) => ({ fromSeat, percentOff })),
});

/** The rule said seat by seat: each seat at the price of its band (graduated) or of the count's (volume). */
function modelAmount(perSeat: number, seats: number, t: SeatTiers): number {
  const priceOfSeat = (n: number) => {
    const band = [...t.bands].reverse().find((b) => n >= b.fromSeat);
    return band ? Math.round((perSeat * (100 - band.percentOff)) / 100) : perSeat;
  };
  if (t.mode === 'volume') return priceOfSeat(seats) * seats;
  let total = 0;
  for (let n = 1; n <= seats; n++) total += priceOfSeat(n);
  return total;
}

/** The Stripe price the catalog sync makes for these tiers, as the emulator stores it. */
function stripePrice(perSeat: number, t: SeatTiers): PriceRec {
  return {
    billing_scheme: 'tiered',
    tiers_mode: t.mode,
    tiers: stripeSeatTiers(perSeat, t).map((x) => ({
      up_to: x.upTo,
      unit_amount: x.unitCents,
      unit_amount_decimal: String(x.unitCents),
      flat_amount: null,
      flat_amount_decimal: null,
    })),
  } as unknown as PriceRec;
}

const tiersArb = fc
  .record({
    mode: fc.constantFrom<SeatTiers['mode']>('graduated', 'volume'),
    starts: fc.uniqueArray(fc.integer({ min: 2, max: 200 }), { minLength: 1, maxLength: MAX_SEAT_BANDS }),
    offs: fc.array(fc.integer({ min: 1, max: 100 }), {
      minLength: MAX_SEAT_BANDS,
      maxLength: MAX_SEAT_BANDS,
    }),
  })
  .map(({ mode, starts, offs }) =>
    tiers(
      mode,
      ...[...starts].sort((a, b) => a - b).map((s, i) => [s, offs[i] as number] as [number, number]),
    ),
  );

describe('seat tiers', () => {
  it.each([
    [tiers('graduated', [11, 20]), { min: 1, max: null }, null],
    [tiers('volume', [11, 20], [51, 40]), { min: 1, max: 100 }, null],
    [tiers('graduated', [1, 20]), { min: 1, max: null }, 'seats.tiers.bands.0.from_seat'],
    [tiers('graduated', [11, 20], [11, 30]), { min: 1, max: null }, 'seats.tiers.bands.1.from_seat'],
    [tiers('graduated', [11, 20], [5, 30]), { min: 1, max: null }, 'seats.tiers.bands.1.from_seat'],
    [tiers('graduated', [11.5, 20]), { min: 1, max: null }, 'seats.tiers.bands.0.from_seat'],
    [tiers('graduated', [51, 20]), { min: 1, max: 50 }, 'seats.tiers.bands.0.from_seat'],
    [tiers('graduated', [MAX_SEATS + 1, 20]), { min: 1, max: null }, 'seats.tiers.bands.0.from_seat'],
    [tiers('graduated', [11, 0]), { min: 1, max: null }, 'seats.tiers.bands.0.percent_off'],
    [tiers('graduated', [11, 101]), { min: 1, max: null }, 'seats.tiers.bands.0.percent_off'],
    [tiers('graduated', [11, 12.5]), { min: 1, max: null }, 'seats.tiers.bands.0.percent_off'],
    [tiers('graduated'), { min: 1, max: null }, 'seats.tiers.bands'],
    [
      tiers('graduated', ...Array.from({ length: 11 }, (_, i) => [i + 2, 10] as [number, number])),
      { min: 1, max: null },
      'seats.tiers.bands',
    ],
    [
      { mode: 'stepped', bands: [{ fromSeat: 11, percentOff: 20 }] },
      { min: 1, max: null },
      'seats.tiers.mode',
    ],
  ])('judges the tiers %j on the range %j: field at fault %s', (t, range, field) => {
    expect(seatTiersProblem({ ...range, tiers: t as SeatTiers })?.field ?? null).toBe(field);
  });

  it('rounds a band price half up to the cent', () => {
    expect(bandSeatCents(2000, 20)).toBe(1600);
    expect(bandSeatCents(999, 15)).toBe(849); // 849.15
    expect(bandSeatCents(1001, 50)).toBe(501); // 500.5
    expect(bandSeatCents(1500, 100)).toBe(0);
  });

  it('builds Stripe tiers: the full price below the first band, the last unbounded', () => {
    expect(stripeSeatTiers(2000, tiers('graduated', [11, 20], [51, 40]))).toEqual([
      { upTo: 10, unitCents: 2000 },
      { upTo: 50, unitCents: 1600 },
      { upTo: null, unitCents: 1200 },
    ]);
  });

  it.each([
    // $20 a seat, 20% off from the 11th: 10 × 20.00 + 2 × 16.00.
    ['graduated', 12, 23_200],
    // Every one of the 12 at 16.00.
    ['volume', 12, 19_200],
    ['graduated', 10, 20_000],
    ['volume', 10, 20_000],
    // 10 × 20 + 40 × 16 + 5 × 12.
    ['graduated', 55, 90_000],
    ['volume', 55, 66_000],
  ] as const)('prices %s tiers at %i seats as %i cents', (mode, seats, cents) => {
    expect(seatAmountCents(2000, seats, tiers(mode, [11, 20], [51, 40]))).toBe(cents);
  });

  it('prices any count as the seat-by-seat rule says, and as Stripe bills the synced price', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 100_000 }),
        tiersArb,
        fc.integer({ min: 1, max: 400 }),
        (perSeat, t, seats) => {
          const cents = seatAmountCents(perSeat, seats, t);
          expect(cents).toBe(modelAmount(perSeat, seats, t));
          expect(cents).toBe(priceAmount(stripePrice(perSeat, t), seats));
        },
      ),
      { numRuns: 500 },
    );
  });

  it('prorates a change across bands by the whole amounts before and after', () => {
    const start = Date.UTC(2026, 10, 1);
    // Half a month left, 8 → 12 seats on graduated tiers: −(8 × 20.00)/2 + (10 × 20.00 + 2 × 16.00)/2.
    expect(
      seatChangeProration({
        perSeatCents: 2000,
        tiers: tiers('graduated', [11, 20]),
        from: 8,
        to: 12,
        periodStartMs: start,
        periodEndMs: start + 30 * DAY_MS,
        atMs: start + 15 * DAY_MS,
      }),
    ).toMatchObject({ creditCents: -8000, chargeCents: 11_600, netCents: 3600, invoicedNow: true });
  });
});

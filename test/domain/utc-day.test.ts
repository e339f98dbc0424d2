import fc from 'fast-check';
import { utcDay } from '../../domain/usage';

describe('a usage day', () => {
  it('is the UTC date of the moment, and resets at the next UTC midnight, for any moment a Date holds', () => {
    fc.assert(
      fc.property(
        // Every year a Date's ISO form writes with four digits, before and after 1970.
        fc.date({
          min: new Date('0001-01-01T00:00:00.000Z'),
          max: new Date('9999-12-30T23:59:59.999Z'),
          noInvalidDate: true,
        }),
        (at) => {
          const { day, resetsAt } = utcDay(at);
          expect(day).toBe(at.toISOString().slice(0, 10));
          expect(resetsAt.getTime()).toBe(Date.parse(`${day}T00:00:00.000Z`) + 86_400_000);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('turns at midnight exactly', () => {
    const cases: [string, string, string][] = [
      ['2026-11-28T23:59:59.999Z', '2026-11-28', '2026-11-29T00:00:00.000Z'],
      ['2026-11-29T00:00:00.000Z', '2026-11-29', '2026-11-30T00:00:00.000Z'],
      ['1969-12-31T23:59:59.999Z', '1969-12-31', '1970-01-01T00:00:00.000Z'],
      ['2028-02-29T12:00:00.000Z', '2028-02-29', '2028-03-01T00:00:00.000Z'],
    ];
    for (const [at, day, resets] of cases)
      expect(utcDay(new Date(at))).toEqual({ day, resetsAt: new Date(resets) });
  });
});

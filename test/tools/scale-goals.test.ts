import { scaleGoals, type ScaleFigures } from '../../bench/scale-goals';

const tonight: ScaleFigures = {
  large: 10_000,
  small: 1_000,
  msPerRenewalLarge: 27,
  msPerRenewalSmall: 31,
  afterStripeSeconds: 193,
  forwardLagP99: [30, 60],
  signUpRates: [11.4, 12.4, 11.7, 11.4, 10.9],
};

const metOf = (f: ScaleFigures) => Object.fromEntries(scaleGoals(f).map((g) => [g.goal, g.met]));

describe('the billing day goals bench:scale judges', () => {
  it('are all met by a run within every limit', () => {
    expect(scaleGoals(tonight).every((g) => g.met)).toBe(true);
    expect(scaleGoals(tonight).map((g) => g.measured)).toEqual([
      '27 ms',
      '31 ms',
      '3.2 min',
      'in the 30–60 s bucket',
      '0.87',
      '10.9',
    ]);
  });

  it.each<[string, Partial<ScaleFigures>, string]>([
    [
      'a renewal over 40 ms at 10,000',
      { msPerRenewalLarge: 41, msPerRenewalSmall: 40 },
      "the cluster's time per renewal, 10,000 due at once: at most 40 ms",
    ],
    [
      'a renewal over 40 ms at 1,000',
      { msPerRenewalSmall: 40.6, msPerRenewalLarge: 40 },
      'the same, 1,000 due at once: at most 40 ms',
    ],
    [
      'the last one paid past 8 min',
      { afterStripeSeconds: 481 },
      "all paid in the engine after Stripe's part: at most 8 min",
    ],
    [
      'a run that gave up before all were paid',
      { afterStripeSeconds: Infinity },
      "all paid in the engine after Stripe's part: at most 8 min",
    ],
    ['a p99 bucket reaching past 60 s', { forwardLagP99: [60, 300] }, 'forward lag p99: at most 60 s'],
    ['no lag observed at all', { forwardLagP99: null }, 'forward lag p99: at most 60 s'],
    [
      'growth over 1.2',
      { msPerRenewalLarge: 38, msPerRenewalSmall: 31 },
      'growth, the large run per renewal ÷ the small: at most 1.2',
    ],
    [
      'one step under 10 a second',
      { signUpRates: [12, 9.9, 11] },
      'subscriptions made a second up to 10,000 live, the slowest step: at least 10',
    ],
    [
      'no step measured',
      { signUpRates: [] },
      'subscriptions made a second up to 10,000 live, the slowest step: at least 10',
    ],
  ])('are not met by %s, and only that goal', (_, change, goal) => {
    const met = metOf({ ...tonight, ...change });
    expect(met[goal]).toBe(false);
    expect(
      Object.entries(met)
        .filter(([, m]) => !m)
        .map(([g]) => g),
    ).toEqual([goal]);
  });
});

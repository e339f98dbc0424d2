/**
 * The billing day's goals (issue 44), judged from one `--growth` invocation's figures: each line says
 * what was asked, what the run measured and whether that meets it.
 */
export interface ScaleFigures {
  /** How many were due at once in the large run, and in the small one before it. */
  large: number;
  small: number;
  /** The cluster's time per renewal, ms: the large run's and the small one's. */
  msPerRenewalLarge: number;
  msPerRenewalSmall: number;
  /**
   * Seconds from Stripe's part ending (every clock advanced) to the last renewal paid in the engine;
   * Infinity when the run gave up before all were paid.
   */
  afterStripeSeconds: number;
  /** The bucket the forward lag's p99 falls in, seconds (lower, upper]; null when nothing was forwarded. */
  forwardLagP99: [number, number] | null;
  /** Subscriptions made a second at each step while the large run's subscriptions were made. */
  signUpRates: number[];
}

export interface GoalLine {
  goal: string;
  measured: string;
  met: boolean;
}

const ms = (v: number) => `${Math.round(v)} ms`;

export function scaleGoals(f: ScaleFigures): GoalLine[] {
  const growth = f.msPerRenewalLarge / f.msPerRenewalSmall;
  const lag = f.forwardLagP99;
  const slowest = f.signUpRates.length ? Math.min(...f.signUpRates) : NaN;
  return [
    {
      goal: `the cluster's time per renewal, ${f.large.toLocaleString('en-US')} due at once: at most 40 ms`,
      measured: ms(f.msPerRenewalLarge),
      met: f.msPerRenewalLarge <= 40,
    },
    {
      goal: `the same, ${f.small.toLocaleString('en-US')} due at once: at most 40 ms`,
      measured: ms(f.msPerRenewalSmall),
      met: f.msPerRenewalSmall <= 40,
    },
    {
      goal: "all paid in the engine after Stripe's part: at most 8 min",
      measured: Number.isFinite(f.afterStripeSeconds)
        ? `${(f.afterStripeSeconds / 60).toFixed(1)} min`
        : 'not all paid',
      met: f.afterStripeSeconds <= 8 * 60,
    },
    {
      // Only a bucket's upper bound proves the p99 within the goal.
      goal: 'forward lag p99: at most 60 s',
      measured: lag === null ? 'nothing forwarded' : `in the ${lag[0]}–${lag[1]} s bucket`,
      met: lag !== null && lag[1] <= 60,
    },
    {
      goal: 'growth, the large run per renewal ÷ the small: at most 1.2',
      measured: growth.toFixed(2),
      met: growth <= 1.2,
    },
    {
      goal: `subscriptions made a second up to ${f.large.toLocaleString('en-US')} live, the slowest step: at least 10`,
      measured: Number.isNaN(slowest) ? 'no step' : slowest.toFixed(1),
      met: slowest >= 10,
    },
  ];
}

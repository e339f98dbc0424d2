/**
 * An item of `npm run verify`'s checklist. `fail` makes the run fail; `manual` is what no API lets us check,
 * with how to check it by hand.
 */
export type CheckStatus = 'pass' | 'fail' | 'warn' | 'skip' | 'manual';

export interface CheckResult {
  system: 'Deployment' | 'Stripe' | 'Keycloak' | 'Lago';
  name: string;
  status: CheckStatus;
  detail: string;
  /** What to do about a fail, warn or manual item. */
  fix?: string;
}

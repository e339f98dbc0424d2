/** A customer record as a sign-in would leave it: what onboarding writes from the caller's identity. */
export interface CustomerFields {
  email: string;
  name: string | null;
  roles: string[];
}

/**
 * Whether a caller needs the onboarding workflow: no record yet, one a field of which their identity would
 * change, or no Stripe customer where Stripe is configured. Otherwise the record is the answer, and a sign-in,
 * a checkout or a card added costs no workflow run.
 */
export function needsOnboarding(
  stored: (CustomerFields & { stripeCustomerId: string | null }) | null,
  wanted: CustomerFields,
  withStripe: boolean,
): boolean {
  if (!stored) return true;
  if (stored.email !== wanted.email || stored.name !== wanted.name) return true;
  if (stored.roles.length !== wanted.roles.length || stored.roles.some((r, i) => r !== wanted.roles[i]))
    return true;
  return withStripe && !stored.stripeCustomerId;
}

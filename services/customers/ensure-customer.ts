import { customerOfUser } from '../../db/customer-reads';
import { needsOnboarding } from '../../domain/customer-record';
import type { Identity } from '../../domain/identity';
import type { CoreDeps } from '../deps';
import type { Config } from '../../config/env';
import { onboardCustomer } from './onboard';
import { apiStripeClient } from './stripe-client';

export const stripeConfigured = (c: Config) => Boolean(c.STRIPE_SECRET_KEY || c.STRIPE_API_BASE);

/**
 * Makes sure the caller has a customer record: from the record when a sign-in would change nothing in it,
 * otherwise by onboarding them (`onboardCustomer`).
 */
export async function ensureCustomer(deps: CoreDeps, identity: Identity, name?: string | null) {
  const withStripe = stripeConfigured(deps.config);
  const wanted = { email: identity.email, name: name ?? identity.name, roles: identity.roles };
  const stored = await customerOfUser(deps.orm.em, identity.sub);
  if (stored && !needsOnboarding(stored, wanted, withStripe))
    return {
      customerId: stored.id,
      email: stored.email,
      stripeCustomerId: stored.stripeCustomerId,
      created: false,
    };
  return onboardCustomer(
    { orm: deps.orm, stripe: withStripe ? apiStripeClient(deps.config) : null, clock: deps.clock },
    { userId: identity.sub, ...wanted },
  );
}

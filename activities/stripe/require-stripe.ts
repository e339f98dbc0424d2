import { ApplicationFailure } from '@temporalio/activity';
import type Stripe from 'stripe';
import type { ActivityDeps } from '../deps';
import { FAILURE } from '../../domain/failure-types';

export function requireStripe(deps: ActivityDeps): Stripe {
  if (!deps.stripe) {
    throw ApplicationFailure.create({
      message: 'Stripe is not configured: set STRIPE_SECRET_KEY, or STRIPE_API_BASE for the emulator',
      type: FAILURE.stripeMisconfigured,
      nonRetryable: true,
    });
  }
  return deps.stripe;
}

import { z } from 'zod';
import { LARGE_BODY_LIMIT } from '../../middleware/body';
import { defineRoute } from '../../routing/define-route';
import { postStripeEvent } from './handlers';

const stripeEvents = {
  method: 'post' as const,
  path: '/billing/webhooks/stripe',
  summary: 'Stripe events: signature checked on the raw body, deduplicated by event id, routed to workflows',
  tags: ['stripe'],
  access: 'public' as const,
  // Stripe's events carry whole objects; the signature is checked on these bytes before anything else.
  bodyLimit: LARGE_BODY_LIMIT,
  errors: {
    400: 'Missing or invalid Stripe-Signature (invalid_signature), or signed too long ago (webhook_timestamp_expired)',
    503: 'Could not reach the workflow; Stripe retries',
  },
  response: z.object({
    received: z.literal(true),
    /** A redelivery of an event already recorded: acknowledged, nothing done again. */
    duplicate: z.boolean(),
  }),
  handler: postStripeEvent,
};

/** Where Stripe sends its events; the paths are the ones configured in Stripe, so they keep their names. */
export const stripeEventRoutes = [
  defineRoute(stripeEvents),
  // For a `stripe listen --forward-to …/api/billing/webhook` set up with the shorter path; under /api/v1 too.
  defineRoute({ ...stripeEvents, path: '/billing/webhook', summary: 'Alias of /billing/webhooks/stripe' }),
];

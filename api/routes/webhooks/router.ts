import { defineRoute } from '../../route';
import { receiveStripeWebhook } from './handlers';

export const webhookRoutes = [
  defineRoute({
    method: 'post',
    path: '/billing/webhooks/stripe',
    summary:
      'Stripe webhooks: signature checked on the raw body, deduplicated by event id, routed to workflows',
    tags: ['webhooks'],
    access: 'public',
    errors: {
      400: 'Missing or invalid Stripe-Signature (invalid_signature), or signed too long ago (webhook_timestamp_expired)',
      503: 'Could not reach the workflow; Stripe retries',
    },
    handler: receiveStripeWebhook,
  }),
];

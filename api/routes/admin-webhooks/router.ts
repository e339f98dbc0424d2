import { defineRoute } from '../../routing/define-route';
import {
  getDeliveries,
  getDelivery,
  getEndpoint,
  getEndpoints,
  patchEndpoint,
  postEndpoint,
  postRedeliver,
  postRotateSecret,
  removeEndpoint,
} from './handlers';
import {
  createEndpointBody,
  deletedResponse,
  deliveriesQuery,
  deliveryListResponse,
  deliveryParams,
  deliveryResponse,
  endpointListResponse,
  endpointParams,
  endpointResponse,
  endpointWithSecretResponse,
  redeliveryResponse,
  updateEndpointBody,
} from './schemas';

const tags = ['admin', 'webhooks'];
const noEndpoint = { 404: 'No such webhook endpoint' };
const badUrl = {
  400: 'webhook_url_invalid, webhook_url_not_https (production), webhook_url_private (unless WEBHOOK_ALLOW_PRIVATE_URLS)',
};

/** Outgoing webhooks: where they go, what went, and sending one again (docs/webhooks.md). */
export const adminWebhookRoutes = [
  defineRoute({
    method: 'get',
    path: '/admin/billing/webhook-endpoints',
    summary: 'Every outgoing webhook endpoint, with what waits for it, and the event types there are',
    tags,
    access: 'admin',
    response: endpointListResponse,
    handler: getEndpoints,
  }),
  defineRoute({
    method: 'post',
    path: '/admin/billing/webhook-endpoints',
    summary:
      'Add an endpoint for some event types; the answer carries its signing secret, shown this once. Audited',
    tags,
    access: 'admin',
    body: createEndpointBody,
    status: 201,
    fields: { url: 'body.url' },
    errors: badUrl,
    response: endpointWithSecretResponse,
    handler: postEndpoint,
  }),
  defineRoute({
    method: 'get',
    path: '/admin/billing/webhook-endpoints/:id',
    summary: 'One endpoint',
    tags,
    access: 'admin',
    params: endpointParams,
    errors: noEndpoint,
    response: endpointResponse,
    handler: getEndpoint,
  }),
  defineRoute({
    method: 'patch',
    path: '/admin/billing/webhook-endpoints/:id',
    summary:
      'Change an endpoint: its address, event types, description, or turn it off or on (on again clears an ' +
      'automatic turning off). Audited',
    tags,
    access: 'admin',
    params: endpointParams,
    body: updateEndpointBody,
    fields: { url: 'body.url' },
    errors: { ...noEndpoint, ...badUrl },
    response: endpointResponse,
    handler: patchEndpoint,
  }),
  defineRoute({
    method: 'delete',
    path: '/admin/billing/webhook-endpoints/:id',
    summary: 'Remove an endpoint; what waited for it is marked failed, and its delivery log stays. Audited',
    tags,
    access: 'admin',
    params: endpointParams,
    errors: noEndpoint,
    response: deletedResponse,
    handler: removeEndpoint,
  }),
  defineRoute({
    method: 'post',
    path: '/admin/billing/webhook-endpoints/:id/rotate-secret',
    summary: 'A new signing secret, used from the next attempt on and shown this once. Audited',
    tags,
    access: 'admin',
    params: endpointParams,
    errors: noEndpoint,
    response: endpointWithSecretResponse,
    handler: postRotateSecret,
  }),
  defineRoute({
    method: 'get',
    path: '/admin/billing/webhook-endpoints/:id/deliveries',
    summary: "An endpoint's deliveries, newest first, each with its attempts (status, latency, answer)",
    tags,
    access: 'admin',
    params: endpointParams,
    query: deliveriesQuery,
    errors: noEndpoint,
    response: deliveryListResponse,
    handler: getDeliveries,
  }),
  defineRoute({
    method: 'get',
    path: '/admin/billing/webhook-deliveries/:id',
    summary: 'One delivery with its event and attempts',
    tags,
    access: 'admin',
    params: deliveryParams,
    errors: { 404: 'No such delivery' },
    response: deliveryResponse,
    handler: getDelivery,
  }),
  defineRoute({
    method: 'post',
    path: '/admin/billing/webhook-deliveries/:id/redeliver',
    summary:
      'Send a delivery again now, whatever became of it: one attempt outside its queue, answered with what ' +
      'it came to. Audited',
    tags,
    access: 'admin',
    rateLimit: 'stripe',
    params: deliveryParams,
    errors: { 404: 'No such delivery' },
    response: redeliveryResponse,
    handler: postRedeliver,
  }),
];

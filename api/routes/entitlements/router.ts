import { defineRoute } from '../../routing/define-route';
import {
  deleteOverride,
  getCustomerEntitlements,
  getEntitlements,
  getJwks,
  getSnapshot,
  postCheck,
  postOverride,
} from './handlers';
import {
  checkBody,
  checkResponse,
  customerEntitlementsResponse,
  customerParams,
  customerRefQuery,
  entitlementsResponse,
  jwksResponse,
  overrideBody,
  overrideParams,
  overrideResponse,
  snapshotResponse,
} from './schemas';

const tags = ['entitlements'];
const naming = {
  400: 'The gateway named no customer',
  403: 'A person named another customer',
};

/** What a customer may use and how much (README: entitlements; docs/entitlements.md). */
export const entitlementRoutes = [
  defineRoute({
    method: 'get',
    path: '/entitlements',
    summary:
      "The caller's entitlements (or, for the gateway, those of the customer named by customer_email or user_id), each with what is used and left",
    tags,
    access: 'viewer|billing-gateway',
    query: customerRefQuery,
    fields: { customerRef: 'query.user_id' },
    errors: naming,
    response: entitlementsResponse,
    handler: getEntitlements,
  }),
  defineRoute({
    method: 'post',
    path: '/entitlements/check',
    summary:
      'May the caller (or the customer the gateway names) use `quantity` more of `feature` now: allowed, why, limit, used, remaining, resets_at',
    tags,
    access: 'viewer|billing-gateway',
    query: customerRefQuery,
    body: checkBody,
    fields: { customerRef: 'query.user_id' },
    errors: naming,
    response: checkResponse,
    handler: postCheck,
  }),
  defineRoute({
    method: 'get',
    path: '/entitlements/snapshot',
    summary:
      'The entitlements as a signed token (EdDSA JWS) the gateway may cache until it expires or an access.changed webhook arrives',
    tags,
    access: 'viewer|billing-gateway',
    query: customerRefQuery,
    fields: { customerRef: 'query.user_id' },
    errors: naming,
    response: snapshotResponse,
    handler: getSnapshot,
  }),
  defineRoute({
    method: 'get',
    path: '/entitlements/jwks.json',
    summary: 'The public key that checks entitlement snapshots',
    tags,
    access: 'public',
    response: jwksResponse,
    handler: getJwks,
  }),
  defineRoute({
    method: 'get',
    path: '/admin/billing/customers/:email/entitlements',
    summary: "A customer's entitlements as they stand, and every override an admin made, in force or not",
    tags: [...tags, 'admin'],
    access: 'admin',
    params: customerParams,
    errors: { 404: 'No customer with that email' },
    response: customerEntitlementsResponse,
    handler: getCustomerEntitlements,
  }),
  defineRoute({
    method: 'post',
    path: '/admin/billing/customers/:email/entitlement-overrides',
    summary:
      "Change one customer's entitlement (grant or take away a feature, set a limit or an allowance) until expires_at, with a reason; audited, and sent as access.changed",
    tags: [...tags, 'admin'],
    access: 'admin',
    params: customerParams,
    body: overrideBody,
    status: 201,
    fields: {
      feature: 'body.feature',
      grant: 'body.grant',
      limit: 'body.limit',
      amount: 'body.amount',
      expires_at: 'body.expires_at',
    },
    errors: { 404: 'No customer with that email', 400: 'entitlement_invalid (the field at fault)' },
    response: overrideResponse,
    handler: postOverride,
  }),
  defineRoute({
    method: 'delete',
    path: '/admin/billing/customers/:email/entitlement-overrides/:id',
    summary: 'End an override now (it stays in the history); audited, and sent as access.changed',
    tags: [...tags, 'admin'],
    access: 'admin',
    params: overrideParams,
    errors: { 404: 'No such customer or override of theirs' },
    response: overrideResponse,
    handler: deleteOverride,
  }),
];

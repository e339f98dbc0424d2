import { z } from 'zod';
import { MAX_ENTITLEMENT_AMOUNT } from '../../../domain/entitlements';
import { customerRefFields, optionalCustomerRef } from '../../validation/customer-ref';
import { count, timestamp } from '../response-types';

export const customerRefQuery = optionalCustomerRef;

const feature = z.string().regex(/^[a-z0-9][a-z0-9_.-]{0,63}$/, 'lowercase letters, digits, _ . - (1 to 64)');

export const checkBody = z
  .object({
    feature,
    /** How much more the caller wants to use now (1 by default). */
    quantity: z.number().int().min(1).max(MAX_ENTITLEMENT_AMOUNT).default(1),
    /** For a numeric limit (seats, projects): how many the product has in use now. */
    in_use: z.number().int().min(0).max(MAX_ENTITLEMENT_AMOUNT).default(0),
  })
  .strict();

/** The same question in the query string (GET): no body to read, the gateway's quickest form. */
export const checkQuery = z
  .object({
    ...customerRefFields,
    feature,
    quantity: z.coerce.number().int().min(1).max(MAX_ENTITLEMENT_AMOUNT).default(1),
    in_use: z.coerce.number().int().min(0).max(MAX_ENTITLEMENT_AMOUNT).default(0),
  })
  .strict()
  .refine((q) => q.customer_email === undefined || q.user_id === undefined, {
    message: 'give customer_email or user_id, not both',
    path: ['user_id'],
  });

export const checkResponse = z.object({
  allowed: z.boolean(),
  reason: z.string(),
  /** The limit or allowance; null for a feature that is on, or unlimited. */
  limit: count.nullable(),
  used: count.nullable(),
  remaining: count.nullable(),
  resets_at: timestamp.nullable(),
});

export const entitlementResponse = z.object({
  feature: z.string(),
  kind: z.enum(['boolean', 'limit', 'metered']),
  usage_type: z.string().optional(),
  per: z.enum(['day', 'period']).optional(),
  overage: z.enum(['block', 'bill']).optional(),
  ...checkResponse.shape,
});

export const entitlementsResponse = z.object({
  tier: z.string().nullable(),
  status: z.string(),
  entitlements: z.array(entitlementResponse),
});

export const snapshotResponse = z.object({
  /** A compact JWS (EdDSA) a gateway checks against jwks.json and caches until `expires_at`. */
  token: z.string(),
  expires_at: timestamp,
  kid: z.string(),
});

export const jwksResponse = z.object({
  keys: z.array(z.object({ kty: z.string(), crv: z.string(), x: z.string(), kid: z.string() }).passthrough()),
});

// Admin overrides.
export const customerParams = z.object({ email: z.email() }).strict();
export const overrideParams = z
  .object({ email: z.email(), id: z.string().regex(/^eov_[0-9a-z]{20}$/, 'must be an override id (eov_…)') })
  .strict();

const amount = z.number().int().min(0).max(MAX_ENTITLEMENT_AMOUNT).nullable();
export const overrideBody = z
  .object({
    feature,
    /** true: grant the feature; false: take it away. */
    grant: z.boolean().optional(),
    /** A numeric limit (null: unlimited). */
    limit: amount.optional(),
    /** A metered allowance's amount (null: unlimited). */
    amount: amount.optional(),
    /** Omitted or null: until an admin removes it. */
    expires_at: z.iso.datetime({ offset: true }).nullable().default(null),
    reason: z.string().trim().min(1).max(500),
  })
  .strict();

export const overrideResponse = z.object({
  id: z.string(),
  feature: z.string(),
  grant: z.boolean().optional(),
  limit: count.nullable().optional(),
  amount: count.nullable().optional(),
  expires_at: timestamp.nullable(),
  reason: z.string(),
  actor: z.string(),
  created_at: timestamp,
  removed_at: timestamp.nullable(),
  removed_by: z.string().nullable(),
  /** In force now: not removed and not expired. */
  active: z.boolean(),
});

export const customerEntitlementsResponse = entitlementsResponse.extend({
  email: z.string(),
  overrides: z.array(overrideResponse),
});

import { z } from 'zod';
import { BYOK_PROVIDER_IDS, BYOK_PROVIDERS, KEY_TEST_RESULTS } from '../../../domain/byok-providers';
import { requiredCustomerRef } from '../../validation/customer-ref';

const provider = z.enum(BYOK_PROVIDER_IDS);

export const providerParams = z.object({ provider }).strict();

// The key's own value never appears in an error message: the format check names only the expected shape.
export const addKeyBody = z
  .object({
    provider,
    api_key: z.string().trim().min(16, 'is too short to be a provider key').max(512, 'is too long'),
    label: z.string().trim().min(1).max(100).optional(),
  })
  .strict()
  .superRefine((body, ctx) => {
    const spec = BYOK_PROVIDERS[body.provider];
    if (!spec.keyPattern.test(body.api_key)) {
      ctx.addIssue({
        code: 'custom',
        path: ['api_key'],
        message: `does not look like a ${spec.name} key (expected ${spec.keyFormat})`,
      });
    }
  });

export const providerKeyResponse = z.object({
  provider,
  provider_name: z.string(),
  key_hint: z.string(),
  created_at: z.string(),
  updated_at: z.string(),
  last_tested_at: z.string().nullable(),
  last_test_result: z.enum(KEY_TEST_RESULTS).nullable(),
});

export const deleteKeyResponse = z.object({ provider, deleted: z.literal(true) });

export const providerInfoResponse = z.object({
  id: provider,
  name: z.string(),
  key_format: z.string(),
  docs_url: z.string(),
  configured: z.boolean(),
});

export const keyTestResponse = z.object({
  provider,
  result: z.enum(KEY_TEST_RESULTS),
  valid: z.boolean(),
  message: z.string(),
  http_status: z.number().int().nullable(),
  latency_ms: z.number().int(),
  tested_at: z.string(),
});

export const statsResponse = z.object({
  total_keys: z.number().int(),
  keys_by_provider: z.record(z.string(), z.number().int()),
  tests: z.object({ passed: z.number().int(), failed: z.number().int(), untested: z.number().int() }),
  byok_usage_events: z.number().int(),
});

/** Whose key the gateway asks for: exactly one of customer_email or user_id. */
export const gatewayKeyQuery = requiredCustomerRef;

export const gatewayKeyResponse = z.object({
  provider,
  api_key: z.string(),
  key_hint: z.string(),
  customer_id: z.string(),
  user_id: z.string(),
  updated_at: z.string(),
});

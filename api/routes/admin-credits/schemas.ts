import { z } from 'zod';
import { MAX_GRANT_CREDITS } from '../../../domain/credit-admin';
import { MAX_SPEND_CAP_CENTS } from '../../../domain/spend-cap';
import { identifierText } from '../../validation/text-fields';
import { count, timestamp } from '../response-types';
import { creditsResponse, grantResponse, packResponse } from '../credits/schemas';

export const customerParams = z.object({ email: z.email() }).strict();
export const grantParams = z
  .object({
    email: z.email(),
    grant_id: z.string().regex(/^cgr_[0-9a-z]{20}$/, 'must be a grant id (cgr_…)'),
  })
  .strict();
export const packParams = z
  .object({ id: z.string().regex(/^pack_[0-9a-z]{20}$/, 'must be a pack id (pack_…)') })
  .strict();

/** A reason kept in the ledger and the audit log: one line of text. */
const reason = z.string().trim().min(1).max(500);

export const grantBody = z
  .object({
    amount: z.number().int().min(1).max(MAX_GRANT_CREDITS),
    reason,
    /** Omitted: the credits never expire. */
    expires_at: z.iso.datetime({ offset: true }).optional(),
    /** Lower is drawn first among grants (default 0). */
    priority: z.number().int().min(-1000).max(1000).default(0),
  })
  .strict();

export const voidBody = z.object({ reason }).strict();
export const extendBody = z.object({ expires_at: z.iso.datetime({ offset: true }), reason }).strict();
export const spendCapMaxBody = z
  .object({ max_cents: z.number().int().min(0).max(MAX_SPEND_CAP_CENTS).nullable() })
  .strict();

const packTerms = {
  code: identifierText(64).regex(/^[a-z0-9][a-z0-9_-]*$/, 'lowercase letters, digits, _ and -'),
  name: z.string().trim().min(1).max(120),
  credits: z.number().int().min(1).max(MAX_GRANT_CREDITS),
  price_cents: z.number().int().min(50).max(100_000_000),
  currency: z.string().regex(/^[a-z]{3}$/),
  /** Its price in other currencies, in their cents ({"eur": 1800}); a customer pays in their own. */
  currency_prices: z
    .record(z.string().regex(/^[a-z]{3}$/), z.number().int().min(50).max(100_000_000))
    .refine((r) => Object.keys(r).length <= 20, 'at most 20 currencies'),
  plan_codes: z.array(identifierText(64)).max(50),
  expires_after_days: z.number().int().min(1).max(3660).nullable(),
  active: z.boolean(),
};
export const createPackBody = z
  .object({
    ...packTerms,
    currency: packTerms.currency.default('usd'),
    currency_prices: packTerms.currency_prices.default({}),
    plan_codes: packTerms.plan_codes.default([]),
    expires_after_days: packTerms.expires_after_days.default(null),
    active: packTerms.active.default(true),
  })
  .strict();
export const updatePackBody = z.object(packTerms).partial().strict();

export const ledgerResponse = z.object({
  email: z.string(),
  credits: creditsResponse,
  movements: z.array(
    z.object({
      id: z.string(),
      grant_id: z.string(),
      kind: z.enum(['draw', 'expiry', 'void']),
      amount: count,
      at: timestamp,
      reason: z.string().nullable(),
      actor: z.string().nullable(),
    }),
  ),
});

export const adminGrantResponse = grantResponse.extend({
  source_key: z.string(),
  actor: z.string().nullable(),
  stripe_object_id: z.string().nullable(),
});
export const packListResponse = z.object({ packs: z.array(packResponse) });
export { packResponse };

import { z } from 'zod';
import { MAX_SPEND_CAP_CENTS } from '../../../domain/spend-cap';
import { cents, count, currencyCode, dollars, timestamp } from '../response-types';
import { returnPageUrl } from '../../validation/return-url';

export const grantResponse = z.object({
  id: z.string(),
  amount: count,
  remaining: count,
  source: z.enum(['included', 'purchase', 'promotion', 'admin', 'refund']),
  priority: z.number().int(),
  effective_at: timestamp,
  expires_at: timestamp.nullable(),
  created_at: timestamp,
  /** Whether it can be drawn now: in effect, not expired, and something left. */
  live: z.boolean(),
  pack_id: z.string().nullable(),
  reason: z.string().nullable(),
});

export const spendCapResponse = z.object({
  /** Null: no cap. */
  amount_cents: cents.nullable(),
  amount: dollars.nullable(),
  /** The mode enforced: always `block` under an admin's maximum. */
  mode: z.enum(['block', 'notify']),
  /** The highest cap an admin allows; null: no maximum (with one, the cap blocks). */
  max_cents: cents.nullable(),
  period_overage_units: count,
  period_overage_cents: cents,
  period_overage: dollars,
  /** When the period ends and the cap starts again from zero. */
  resets_at: timestamp.nullable(),
  /** A blocking cap that refuses the next unit of overage. */
  reached: z.boolean(),
});

export const autoTopUpResponse = z.object({
  enabled: z.boolean(),
  threshold: count.nullable(),
  pack_id: z.string().nullable(),
  /** Why the engine turned auto top-up off (a declined card), until the customer changes it. */
  note: z.string().nullable(),
});

export const creditsResponse = z.object({
  /** Prepaid credits that can be drawn now: the sum of what is left on live grants. */
  balance: count,
  grants: z.array(grantResponse),
  included: z
    .object({
      credits: count,
      used: count,
      remaining: count,
      period_start: timestamp,
      period_end: timestamp.nullable(),
    })
    .nullable(),
  /**
   * This period's seat credits, on a plan whose seats carry their own: units per seat for the period, the
   * seats, and each holder (the subject that took the seat by reporting first) with what it drew. A seat's
   * units are drawn before the included credits above. null: none.
   */
  seats: z
    .object({
      credits_per_seat: count,
      seats: count,
      holders: z.array(z.object({ subject: z.string(), used: count, remaining: count })),
    })
    .nullable(),
  spend_cap: spendCapResponse,
  auto_top_up: autoTopUpResponse,
  /** The currency the overage, the spend cap and the overage alert are in: the subscription's. */
  currency: currencyCode,
});

export const spendCapBody = z
  .object({
    /** Null lifts the cap (unless an admin set a maximum). */
    amount_cents: z.number().int().min(0).max(MAX_SPEND_CAP_CENTS).nullable(),
    /** `notify` is refused under an admin's maximum (spend_cap_must_block). */
    mode: z.enum(['block', 'notify']).default('block'),
  })
  .strict();

export const packResponse = z.object({
  id: z.string(),
  code: z.string(),
  name: z.string(),
  credits: count,
  price_cents: cents,
  price: dollars,
  currency: currencyCode,
  /** Its price in currencies beside its own, in their cents. */
  currency_prices: z.record(z.string(), cents),
  /** Plans whose subscribers may buy it; empty: every plan. */
  plan_codes: z.array(z.string()),
  expires_after_days: count.nullable(),
  active: z.boolean(),
});

export const packsResponse = z.object({ packs: z.array(packResponse) });

const threshold = z.object({
  value: z.number().int().nullable(),
  source: z.enum(['customer', 'plan', 'engine']),
});

export const alertsResponse = z.object({
  /** Tell me when this share of the period's included credits is used. */
  included_percent: threshold,
  /** Tell me when my prepaid balance falls below this many credits. */
  balance_below: threshold,
  /** Tell me when this period's overage costs this many cents. */
  overage_cents: threshold,
});

export const alertsBody = z
  .object({
    included_percent: z.number().int().min(1).max(100).nullable().optional(),
    balance_below: z.number().int().min(1).max(1_000_000_000).nullable().optional(),
    overage_cents: z.number().int().min(1).max(MAX_SPEND_CAP_CENTS).nullable().optional(),
  })
  .strict();

const packId = z.string().regex(/^pack_[0-9a-z]{20}$/, 'must be a pack id (pack_…)');

export const purchaseBody = z
  .object({ pack_id: packId, success_url: returnPageUrl.optional(), cancel_url: returnPageUrl.optional() })
  .strict();

export const purchaseResponse = z.object({ checkout_url: z.url(), session_id: z.string() });

export const autoTopUpBody = z
  .object({
    enabled: z.boolean(),
    /** Top up when the prepaid balance falls below this many credits. */
    threshold: z.number().int().min(1).max(1_000_000_000).nullable(),
    pack_id: packId.nullable(),
  })
  .strict();

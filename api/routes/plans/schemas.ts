import { MAX_SEAT_BANDS, MAX_SEAT_CREDITS, MAX_SEATS, SEAT_TIER_MODES } from '../../../domain/seats';
import { BILLING_ANCHORS } from '../../../domain/billing-anchor';
import { z } from 'zod';
import { dollarsToCents } from '../../../domain/money';
import { SERVICES } from '../../../domain/plan-catalog';
import { parseRateCard } from '../../../domain/rate-card-wire';
import { TRIAL_WITHOUT_CARD } from '../../../domain/trial';

const code = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, 'must be lower-case letters, digits, - or _');

export const planParams = z.object({ plan_id: code }).strict();

/** Stripe's own ceiling for one price in USD ($999,999.99): anything above it could never be charged. */
export const MAX_PRICE_CENTS = 99_999_999;
/** Credits and daily calls stay far inside the integers every database and JSON reader handles exactly. */
const MAX_COUNT = 1_000_000_000;

/** Dollars as clients send them ("19.99" or 19.99), turned into integer cents at the edge. */
const dollars = z.union([z.string().max(32), z.number()]).transform((v, ctx) => {
  try {
    const cents = dollarsToCents(v);
    if (cents < 0 || cents > MAX_PRICE_CENTS) throw new RangeError('out of range');
    return cents;
  } catch {
    ctx.addIssue({
      code: 'custom',
      message: `must be an amount from 0 to ${MAX_PRICE_CENTS / 100} with at most two decimals`,
    });
    return z.NEVER;
  }
});
const cents = z.number().int().min(0).max(MAX_PRICE_CENTS);
const count = z.number().int().min(0).max(MAX_COUNT);
const service = z.enum(Object.keys(SERVICES) as [keyof typeof SERVICES, ...(keyof typeof SERVICES)[]]);

/** An explicit entitlement of a plan version (domain/entitlements.ts); the service checks each one's terms. */
const entitlement = z.discriminatedUnion('kind', [
  z.object({ feature: z.string().max(64), kind: z.literal('boolean') }).strict(),
  z.object({ feature: z.string().max(64), kind: z.literal('limit'), limit: z.number().nullable() }).strict(),
  z
    .object({
      feature: z.string().max(64),
      kind: z.literal('metered'),
      usage_type: z.string().max(64),
      amount: z.number().nullable(),
      per: z.enum(['day', 'period']),
      overage: z.enum(['block', 'bill']),
    })
    .strict(),
]);
const entitlements = z.array(entitlement).max(50);

/** A rate card (domain/rate-card-wire.ts), refused at the first line or field at fault. */
const rateCard = z
  .array(z.unknown())
  .meta({ default: [], description: 'Lines pricing usage by type and dimension; see docs/pricing.md' })
  .transform((v, ctx) => {
    const parsed = parseRateCard(v);
    if ('lines' in parsed) return parsed.lines;
    ctx.addIssue({
      code: 'custom',
      message: parsed.message,
      path: parsed.field
        .split('.')
        .slice(1)
        .map((p) => (/^\d+$/.test(p) ? Number(p) : p)),
    });
    return z.NEVER;
  });

/**
 * A plan's prices in other currencies, by lower-case ISO 4217 code: the same terms in other amounts
 * (domain/currency/plan-price-changes.ts). The service refuses a currency it does not price in, or a card of other lines.
 */
const currencyPrices = z
  .record(
    z.string().regex(/^[a-z]{3}$/, 'must be a lower-case ISO 4217 currency code'),
    z
      .object({
        price_monthly_cents: cents,
        price_yearly_cents: cents.nullable().default(null),
        overage_price_per_1k_cents: cents.default(0),
        rate_card: rateCard.default([]),
      })
      .strict(),
  )
  .refine((r) => Object.keys(r).length <= 20, 'at most 20 currencies')
  .meta({ default: {}, description: 'Prices in currencies beside the plan\'s own, e.g. {"eur": {...}}' });

/** Publishes a rate card below the margin floor anyway; kept in the audit log with the lines it let through. */
const marginOverrideReason = z.string().trim().min(1, 'must say why').max(500).optional().meta({
  description:
    "Why a rate card may sell a model's tokens below the margin floor (docs/margins.md); without it such a card is refused with 409 margin_below_floor",
});

const trialWithoutCard = z.enum(TRIAL_WITHOUT_CARD).nullable().meta({
  description:
    'Trials start without a card (Checkout asks for none); at their end without one, `free` ends the subscription (the free tier) and `ask_for_card` pauses it, without access, until a card is added. null: a card at checkout. Needs trial_days above 0; not on the trial tier',
});

const billingAnchor = z.enum(BILLING_ANCHORS).meta({
  description:
    "When its subscribers' periods turn over: `anniversary` (the day they started, or their trial ended) or `calendar` (the 1st of the month, 00:00 UTC, the first period prorated). A customer may choose the other at checkout. Not on the trial tier, nor with trial_without_card `ask_for_card`",
});

const seatTiers = z
  .object({
    mode: z.enum(SEAT_TIER_MODES).meta({
      description:
        '`graduated`: each seat costs what its band says (seats below the first band the full price); `volume`: every seat costs what the band the count lands in says',
    }),
    bands: z
      .array(
        z
          .object({
            from_seat: z
              .number()
              .int()
              .min(2)
              .max(MAX_SEATS)
              .meta({ description: 'The first seat the band prices' }),
            percent_off: z.number().int().min(1).max(100).meta({
              description: "Off the plan's per-seat price, in every cycle and currency it is sold in",
            }),
          })
          .strict(),
      )
      .min(1)
      .max(MAX_SEAT_BANDS),
  })
  .strict()
  .nullable()
  .meta({
    description:
      'Volume discounts on the per-seat price, as bands in ascending `from_seat`. null: every seat at the price',
  });

const seatTerms = z
  .object({
    min: z.number().int().min(1).max(MAX_SEATS),
    max: z.number().int().min(1).max(MAX_SEATS).nullable().default(null),
    tiers: seatTiers.default(null),
    credits_per_seat: z.number().int().min(0).max(MAX_SEAT_CREDITS).default(0).meta({
      description:
        "Units each seat draws a month before the account's included credits, prepaid credits or overage: the first subjects to report usage in a period hold the seats, one each (0: none)",
    }),
  })
  .strict()
  .nullable()
  .meta({
    description:
      "Priced per seat: the monthly and yearly prices are per seat, and a subscriber holds from `min` to `max` seats (null: up to the engine's ceiling), chosen at checkout and changed later, prorated. null: one unit, not per seat",
  });

const planFields = {
  name: z.string().min(1).max(100).optional(),
  display_name: z.string().min(1).max(200),
  description: z.string().max(2000).nullable().optional(),
  price_monthly: dollars.optional(),
  price_monthly_cents: cents.optional(),
  price_yearly: dollars.nullable().optional(),
  price_yearly_cents: cents.nullable().optional(),
  trial_days: z.number().int().min(0).max(365).default(0),
  trial_without_card: trialWithoutCard.default(null),
  billing_anchor: billingAnchor.default('anniversary'),
  seats: seatTerms.default(null),
  services: z.array(service).max(50).default([]),
  features: z.array(z.string().min(1).max(200)).max(50).default([]),
  included_credits: count.default(0),
  overage_price_per_1k: dollars.optional(),
  overage_price_per_1k_cents: cents.optional(),
  daily_api_calls: count.min(1).nullable().default(null),
  pausable: z.boolean().default(false),
  prepaid_only: z.boolean().default(false).meta({
    description:
      'Usage its included and prepaid credits cannot pay is refused (credits_exhausted), never billed: the plan may have no overage price, rate card lines or billing entitlements',
  }),
  entitlements: entitlements.default([]),
  rate_card: rateCard.optional(),
  currency_prices: currencyPrices.optional(),
  margin_override_reason: marginOverrideReason,
};

export const createPlanBody = z
  .object({ id: code, ...planFields })
  .strict()
  .superRefine((b, ctx) => {
    if (b.price_monthly === undefined && b.price_monthly_cents === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['price_monthly_cents'],
        message: 'price_monthly or price_monthly_cents is required',
      });
    }
  });

export const updatePlanBody = z
  .object({
    name: planFields.name,
    display_name: planFields.display_name.optional(),
    description: planFields.description,
    price_monthly: planFields.price_monthly,
    price_monthly_cents: planFields.price_monthly_cents,
    price_yearly: planFields.price_yearly,
    price_yearly_cents: planFields.price_yearly_cents,
    trial_days: z.number().int().min(0).max(365).optional(),
    trial_without_card: trialWithoutCard.optional(),
    billing_anchor: billingAnchor.optional(),
    seats: seatTerms.optional(),
    services: z.array(service).max(50).optional(),
    features: z.array(z.string().min(1).max(200)).max(50).optional(),
    included_credits: count.optional(),
    overage_price_per_1k: planFields.overage_price_per_1k,
    overage_price_per_1k_cents: planFields.overage_price_per_1k_cents,
    daily_api_calls: count.min(1).nullable().optional(),
    pausable: z.boolean().optional(),
    prepaid_only: z.boolean().optional(),
    entitlements: entitlements.optional(),
    rate_card: rateCard.optional(),
    currency_prices: currencyPrices.optional(),
    margin_override_reason: marginOverrideReason,
  })
  .strict();

/** Which currency to show prices in; without it, the caller's own or their `Accept-Language`'s. */
export const plansQuery = z.object({ currency: z.string().max(8).optional() }).strict();

export const migratePlanBody = z
  .object({
    when: z.enum(['period_end', 'now']).default('period_end'),
    /** Works out every move and makes none: a rehearsal, approved later into the migration. */
    rehearse: z.boolean().default(false),
  })
  .strict();

// Responses. The plan's money fields are dollars, for clients that read dollars, beside integer cents.

export const planResponse = z.object({
  id: z.string(),
  name: z.string(),
  display_name: z.string(),
  description: z.string().nullable(),
  version: z.number().int().positive(),
  status: z.enum(['active', 'archived']),
  currency: z.string().regex(/^[a-z]{3}$/),
  price_monthly: z.number(),
  price_monthly_cents: z.number().int(),
  price_yearly: z.number().nullable(),
  price_yearly_cents: z.number().int().nullable(),
  trial_days: z.number().int(),
  /** Its trials start without a card; what their end does without one (null: a card at checkout). */
  trial_without_card: z.enum(TRIAL_WITHOUT_CARD).nullable(),
  /** When its subscribers' periods turn over unless they choose otherwise at checkout. */
  billing_anchor: z.enum(BILLING_ANCHORS),
  /** Priced per seat, from `min` to `max` seats; null: one unit. */
  seats: z
    .object({
      min: z.number().int(),
      max: z.number().int().nullable(),
      /** Volume discounts: each band with one seat's price in it, in the currency shown. */
      tiers: z
        .object({
          mode: z.enum(SEAT_TIER_MODES),
          bands: z.array(
            z.object({
              from_seat: z.number().int(),
              percent_off: z.number().int(),
              price_monthly_cents: z.number().int(),
              price_yearly_cents: z.number().int().nullable(),
            }),
          ),
        })
        .nullable(),
      /** Units each seat draws a month before the account's pool. */
      credits_per_seat: z.number().int(),
    })
    .nullable(),
  features: z.array(z.string()),
  services: z.array(z.string()),
  included_credits: z.number().int(),
  overage_price_per_1k: z.number(),
  overage_price_per_1k_cents: z.number().int(),
  daily_api_calls: z.number().int().nullable(),
  /** Whether a subscriber may pause this plan themselves. */
  pausable: z.boolean(),
  /** Whether usage its credits cannot pay is refused (`credits_exhausted`) rather than billed as overage. */
  prepaid_only: z.boolean(),
  /** Everything it entitles a subscriber to: its services, daily calls, included credits and explicit ones. */
  entitlements: z.array(z.record(z.string(), z.unknown())),
  /** How usage beyond the plan's own credits is priced, by type and dimension; see the README's rate cards. */
  rate_card: z.array(z.record(z.string(), z.unknown())),
  /** Every currency it is sold in, its own first; the amounts above are in `currency`. */
  currencies: z.array(z.string()),
  /** Its terms in the currencies beside its own, for editing. */
  currency_prices: z.record(
    z.string(),
    z.object({
      price_monthly_cents: z.number().int(),
      price_yearly_cents: z.number().int().nullable(),
      overage_price_per_1k_cents: z.number().int(),
      rate_card: z.array(z.record(z.string(), z.unknown())),
    }),
  ),
});

export const plansResponse = z.array(planResponse);

export const servicesResponse = z.array(z.object({ id: z.string(), name: z.string() }));

/** Whether the new prices are on their way to Stripe (skipped when no Stripe is configured). */
const stripeSync = z.enum(['started', 'skipped']);

export const createPlanResponse = planResponse.extend({ stripe_sync: stripeSync });

export const updatePlanResponse = planResponse.extend({
  /** Subscribers left on the previous version, when the change made a new one. */
  grandfathered_subscribers: z.number().int().nonnegative(),
  stripe_sync: stripeSync,
});

export const archivePlanResponse = planResponse.extend({ archived: z.literal(true) });

const migrationId = z
  .string()
  .max(40)
  .regex(/^(pmig|prh)_[0-9a-z]+$/, 'a migration id (pmig_…) or a rehearsal id (prh_…)');
export const migrationParams = z.object({ migration_id: migrationId }).strict();

/** A page of a migration's subscriptions: all, or only those moved or failed, by subscription id. */
export const migrationQuery = z
  .object({
    outcome: z.enum(['moved', 'failed']).optional(),
    after: z
      .string()
      .max(40)
      .regex(/^[A-Za-z0-9_]+$/, 'a subscription id')
      .optional(),
    limit: z.coerce.number().int().min(1).max(500).default(100),
  })
  .strict();

const centsByCurrency = z.array(z.object({ currency: z.string(), cents: z.number().int() }));

/** What a rehearsed move would do to one subscription. */
const rehearsalDetail = z.object({
  currency: z.string(),
  interval: z.enum(['month', 'year']),
  /** The renewal at the period end: its recurring fee before and after (before discounts and tax). */
  next_invoice: z.object({
    at: z.string().nullable(),
    before_cents: z.number().int(),
    after_cents: z.number().int(),
  }),
  /** For a move made now: what Stripe invoices at once. */
  proration: z
    .object({
      credit_cents: z.number().int(),
      charge_cents: z.number().int(),
      discount_cents: z.number().int(),
      due_now_cents: z.number().int(),
    })
    .nullable(),
  mrr: z.object({ before_cents: z.number().int(), after_cents: z.number().int() }),
  included_credits: z.object({ before: count, after: count }),
  entitlement_changes: z.array(z.object({ feature: z.string(), change: z.string() })),
  /** Prepaid credits the customer holds, which the move leaves as they are. */
  credits_carried_over: z.number().int(),
  /** The Stripe calls the move would make, and when. */
  stripe_calls: z.array(
    z.object({
      at: z.enum(['now', 'period_end']),
      method: z.literal('POST'),
      path: z.string(),
      params: z.record(z.string(), z.unknown()),
    }),
  ),
  /**
   * The monthly margin before and after: MRR plus the last 30 days of usage billed under each card, less
   * what that usage cost the platform (docs/margins.md); null where usage is not costed.
   */
  margin: z
    .object({ cost_cents: z.number().int(), before_cents: z.number().int(), after_cents: z.number().int() })
    .nullable(),
});

/** A durable migration or rehearsal: its progress and (from the report) a page of its subscriptions. */
export const migratePlanResponse = z.object({
  migration_id: z.string(),
  kind: z.enum(['migration', 'rehearsal']),
  /** The rehearsal this migration was approved from; null otherwise. */
  rehearsal_id: z.string().nullable(),
  plan_id: z.string(),
  version: z.number().int().positive(),
  when: z.enum(['period_end', 'now']),
  status: z.enum(['running', 'completed']),
  started_at: z.string(),
  finished_at: z.string().nullable(),
  started_by: z.string().nullable(),
  progress: z.object({
    /** The live subscribers of older versions when it began. */
    candidates: count,
    moved: count,
    failed: count,
    percent: z.number().int().min(0).max(100),
  }),
  /** A finished rehearsal's totals; null for a migration or a rehearsal still running. */
  summary: z
    .object({
      mrr: z.array(
        z.object({ currency: z.string(), before_cents: z.number().int(), after_cents: z.number().int() }),
      ),
      pay_more: count,
      pay_less: count,
      pay_same: count,
      failed: count,
      due_now: centsByCurrency,
      largest: z.array(
        z.object({
          subscription_id: z.string(),
          currency: z.string(),
          before_cents: z.number().int(),
          after_cents: z.number().int(),
        }),
      ),
      /** The monthly margin before and after, per currency whose usage is costed. */
      margin: z.array(
        z.object({
          currency: z.string(),
          cost_cents: z.number().int(),
          before_cents: z.number().int(),
          after_cents: z.number().int(),
        }),
      ),
    })
    .nullable(),
  /** A finished migration approved from a rehearsal: the moves that came out as rehearsed, and those that did not. */
  comparison: z.object({ matched: count, differed: count, differing: z.array(z.string()) }).nullable(),
  subscriptions: z.array(
    z.object({
      subscription_id: z.string(),
      from_version: z.number().int().positive(),
      outcome: z.enum(['moved', 'failed']),
      /** A move's result: at period end (`scheduled`) or at once (`applied`). */
      result: z.enum(['scheduled', 'applied']).nullable(),
      reason: z.string().nullable(),
      amount_cents: z.number().int(),
      new_amount_cents: z.number().int().nullable(),
      /** A rehearsal's worked-out move; null in a migration. */
      rehearsal: rehearsalDetail.nullable(),
      /** In a migration approved from a rehearsal: whether this move came out as rehearsed. */
      as_rehearsed: z.boolean().nullable(),
    }),
  ),
  next_cursor: z.string().nullable(),
});

export const planVersionsResponse = z.array(
  planResponse.extend({
    plan_version_id: z.string(),
    is_current: z.boolean(),
    /** Subscriptions on this version that have not ended. */
    live_subscriptions: count,
    /** Whether Stripe can bill each cycle of this version yet (null: the plan has no yearly price). */
    stripe_sync: z.object({ monthly: z.boolean(), yearly: z.boolean().nullable() }),
  }),
);

export const migrationPreviewResponse = z.object({
  plan_id: z.string(),
  to_version: z.number().int().positive(),
  subscriptions: z.array(
    z.object({
      subscription_id: z.string(),
      email: z.string(),
      from_version: z.number().int().positive(),
      interval: z.enum(['month', 'year']),
      amount_cents: z.number().int(),
      new_amount_cents: z.number().int().nullable(),
      /** What this subscriber would gain and lose, their overrides counted. */
      entitlement_changes: z.array(
        z.object({
          feature: z.string(),
          change: z.enum(['gained', 'lost', 'raised', 'lowered', 'changed']),
          before: z.record(z.string(), z.unknown()).nullable(),
          after: z.record(z.string(), z.unknown()).nullable(),
        }),
      ),
    }),
  ),
  /** Per feature and change, how many subscribers it would reach. */
  entitlement_summary: z.array(
    z.object({ feature: z.string(), change: z.string(), subscribers: z.number().int().nonnegative() }),
  ),
});

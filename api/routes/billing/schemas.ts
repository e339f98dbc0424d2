import { z } from 'zod';

const tier = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, 'must be a plan code such as "professional"');
const cycle = z.enum(['monthly', 'yearly']).default('monthly');
const url = z.url().max(2000);

export const checkoutBody = z
  .object({ tier_id: tier, billing_cycle: cycle, success_url: url.optional(), cancel_url: url.optional() })
  .strict();

export const portalBody = z.object({ return_url: url.optional() }).strict();

export const upgradeBody = z
  .object({
    new_tier_id: tier,
    billing_cycle: cycle,
    /** Default: upgrades now (prorated), downgrades at period end. */
    when: z.enum(['now', 'period_end']).optional(),
    /** Only compute what the change would cost now; change nothing. */
    preview: z.boolean().default(false),
  })
  .strict();

export const cancelBody = z.object({ at_period_end: z.boolean().default(true) }).strict();

export const emptyBody = z.object({}).strict();

export const attachPaymentMethodBody = z
  .object({
    payment_method_id: z.string().regex(/^pm_[A-Za-z0-9_]+$/),
    make_default: z.boolean().default(true),
  })
  .strict();

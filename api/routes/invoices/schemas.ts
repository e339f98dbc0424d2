import { z } from 'zod';

export const invoicesQuery = z
  .object({
    limit: z.coerce.number().int().min(1).max(100).default(10),
    /** The `X-Next-Cursor` of the previous page. */
    cursor: z.string().min(1).max(256).optional(),
  })
  .strict();

export const invoicePdfParams = z
  .object({ stripe_invoice_id: z.string().regex(/^in_[A-Za-z0-9_]{1,120}$/, 'must be a Stripe invoice id') })
  .strict();

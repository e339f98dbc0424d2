import { z } from 'zod';

export const createCustomerBody = z.object({ name: z.string().min(1).max(200).optional() }).strict();

export const customerResponse = z.object({
  customer_id: z.string(),
  stripe_customer_id: z.string().nullable(),
  email: z.string(),
  created: z.boolean(),
});

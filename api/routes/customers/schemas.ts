import { z } from 'zod';
import { timestamp } from '../response-types';

export const createCustomerBody = z.object({ name: z.string().min(1).max(200).optional() }).strict();

export const customerResponse = z.object({
  customer_id: z.string(),
  stripe_customer_id: z.string().nullable(),
  email: z.string(),
  created: z.boolean(),
});

export const customerRecordResponse = z.object({
  customer_id: z.string(),
  stripe_customer_id: z.string().nullable(),
  email: z.string(),
  name: z.string().nullable(),
  created: timestamp,
});

import { z } from 'zod';
import { identifierText } from './text-fields';

/** How the gateway names a customer: by email, or by identity-provider user id (or customer id). */
export const customerRefFields = {
  customer_email: z.email().max(320).toLowerCase().optional(),
  user_id: identifierText(200).optional(),
};

const oneAtMost = (q: { customer_email?: string; user_id?: string }) =>
  q.customer_email === undefined || q.user_id === undefined;

/** Optional customer reference (a person checks their own access; the gateway names whose). */
export const optionalCustomerRef = z
  .object(customerRefFields)
  .strict()
  .refine(oneAtMost, { message: 'give customer_email or user_id, not both', path: ['user_id'] });

/** Exactly one customer reference. */
export const requiredCustomerRef = z
  .object(customerRefFields)
  .strict()
  .refine(oneAtMost, { message: 'give customer_email or user_id, not both', path: ['user_id'] })
  .refine((q) => q.customer_email !== undefined || q.user_id !== undefined, {
    message: 'name the customer with customer_email or user_id',
    path: ['user_id'],
  });

export type CustomerRef = z.output<typeof optionalCustomerRef>;

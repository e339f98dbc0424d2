import { z } from 'zod';
import { optionalCustomerRef } from '../../validation/customer-ref';

export const serviceParams = z.object({ service: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/) }).strict();
export const userParams = z.object({ user_id: z.string().min(1).max(200) }).strict();
export const checkAccessQuery = optionalCustomerRef;

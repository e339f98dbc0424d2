import { z } from 'zod';
import { optionalCustomerRef } from '../../validation/customer-ref';
import { subscriptionStatus, timestamp } from '../response-types';

export const serviceParams = z.object({ service: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/) }).strict();
export const userParams = z.object({ user_id: z.string().min(1).max(200) }).strict();
export const checkAccessQuery = optionalCustomerRef;

const accessFields = {
  /** Null when the caller has no subscription that grants anything. */
  tier: z.string().nullable(),
  status: z.union([subscriptionStatus, z.literal('none')]),
  services: z.array(z.string()),
  features: z.array(z.string()),
  /** Null: no daily limit. */
  daily_api_calls: z.number().int().nullable(),
  current_period_end: timestamp.nullable(),
};

export const accessResponse = z.object(accessFields);

/** Keyed by the user id alone: the gateway reads no email (README, who may call what). */
export const userAccessResponse = z.object({ user_id: z.string(), ...accessFields });

export const checkAccessResponse = z.object({
  allowed: z.boolean(),
  reason: z.string(),
  tier: z.string().nullable(),
  remaining_today: z.number().int().nonnegative().nullable(),
  resets_at: timestamp.nullable(),
});

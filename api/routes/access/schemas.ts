import { z } from 'zod';
import { customerRefFields } from '../../validation/customer-ref';
import { subjectText } from '../usage/schemas';
import { subscriptionStatus, timestamp } from '../response-types';

export const serviceParams = z.object({ service: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/) }).strict();
export const userParams = z.object({ user_id: z.string().min(1).max(200) }).strict();
/** Whose access (the gateway names the customer) and, optionally, which subject of their usage. */
export const checkAccessQuery = z
  .object({
    ...customerRefFields,
    /** A subject of the customer's usage (project, key or end user): its budget must have room too. */
    subject: subjectText.optional(),
  })
  .strict()
  .refine((q) => q.customer_email === undefined || q.user_id === undefined, {
    message: 'give customer_email or user_id, not both',
    path: ['user_id'],
  });

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

/** Where the subject a check named stands against its budget. */
export const subjectBudgetStanding = z.object({
  subject: z.string(),
  per: z.enum(['day', 'period']),
  limit_units: z.number().int().positive(),
  used: z.number().int().nonnegative(),
  remaining: z.number().int().nonnegative(),
  resets_at: timestamp,
});

export const checkAccessResponse = z.object({
  allowed: z.boolean(),
  reason: z.string(),
  tier: z.string().nullable(),
  remaining_today: z.number().int().nonnegative().nullable(),
  resets_at: timestamp.nullable(),
  /** Present when the check named a subject: null when that subject has no budget. */
  budget: subjectBudgetStanding.nullable().optional(),
});

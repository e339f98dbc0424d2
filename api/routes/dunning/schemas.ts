import { z } from 'zod';
import { timestamp } from '../response-types';
import { MAX_DUNNING_DAYS, MAX_RETRIES } from '../../../domain/dunning-policy';

const day = z.number().int().min(1).max(MAX_DUNNING_DAYS);

export const dunningPolicyBody = z
  .object({
    /** Days after the failed payment on which it is retried, increasing. */
    retry_days: z.array(day).min(1).max(MAX_RETRIES),
    /** Access is suspended once this many days passed without payment (0: at once). */
    suspend_after_days: z.number().int().min(0).max(MAX_DUNNING_DAYS),
    /** After the last failed retry: cancel the subscription, or keep it and leave the invoice unpaid. */
    final_action: z.enum(['cancel', 'mark_unpaid']),
  })
  .strict();

export const dunningPolicyResponse = z.object({
  retry_days: z.array(z.number().int()),
  suspend_after_days: z.number().int(),
  final_action: z.enum(['cancel', 'mark_unpaid']),
  is_default: z.boolean(),
  updated_at: timestamp.nullable(),
  updated_by: z.string().nullable(),
});

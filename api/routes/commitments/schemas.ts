import { z } from 'zod';
import { MAX_MINIMUM_CENTS } from '../../../domain/commitments';
import { cents, currencyCode, dollars, timestamp } from '../response-types';

export const commitmentBody = z
  .object({
    /** The least billed for each billing period, in the subscription's currency's minor units. */
    minimum_cents: z.number().int().min(1).max(MAX_MINIMUM_CENTS),
    /** The first period it covers: the next (default) or the current one, whole (not prorated). */
    from: z.enum(['next_period', 'current_period']).default('next_period'),
  })
  .strict();

export const customerCommitmentParams = z.object({ email: z.email() }).strict();

const commitment = z
  .object({
    id: z.string(),
    minimum_cents: cents,
    minimum: dollars,
    currency: currencyCode,
    /** The start of the first period it covers. */
    starts_at: timestamp,
    /** Periods that start then or later owe nothing; null while live. */
    ended_at: timestamp.nullable(),
    created_at: timestamp,
  })
  .describe(
    'A minimum billed for each billing period; a shortfall is billed as a true-up once the period ends',
  );

const period = z
  .object({
    commitment_id: z.string(),
    period_start: timestamp,
    period_end: timestamp,
    minimum_cents: cents,
    /** What Stripe billed for the period (fees, prorations and usage, after discounts, before tax). */
    consumed_cents: cents,
    /** The shortfall billed on an invoice of its own; 0 when the period reached the minimum. */
    true_up_cents: cents,
    currency: currencyCode,
    /** Stripe's id of the true-up invoice, null when nothing was owed. */
    invoice_id: z.string().nullable(),
  })
  .describe('A period a commitment was settled for');

export const commitmentsResponse = z.object({
  commitment: commitment.nullable(),
  ended: z.array(commitment),
  periods: z.array(period),
});

import { z } from 'zod';
import {
  MAX_COMMIT_CENTS,
  MIN_COMMIT_CENTS,
  MAX_COMMIT_PERIODS,
  UNUSED_COMMIT,
} from '../../../domain/prepaid-commits';
import { cents, currencyCode, dollars, timestamp } from '../response-types';

export const prepaidCommitBody = z
  .object({
    /** Paid up front and credited to the balance, in the subscription's currency's minor units. */
    amount_cents: z.number().int().min(MIN_COMMIT_CENTS).max(MAX_COMMIT_CENTS),
    /** The term in billing periods, the current one first. */
    periods: z.number().int().min(1).max(MAX_COMMIT_PERIODS),
    /** What happens to what is left when the term ends: taken off the balance, or left on it. */
    unused: z.enum(UNUSED_COMMIT as [string, ...string[]]),
  })
  .strict();

export const customerPrepaidCommitParams = z.object({ email: z.email() }).strict();

export const prepaidCommit = z
  .object({
    id: z.string(),
    amount_cents: cents,
    amount: dollars,
    currency: currencyCode,
    periods: z.number().int(),
    unused: z.enum(UNUSED_COMMIT as [string, ...string[]]),
    /** `funding` while its invoice is charged, `active` in its term, `declined` (nothing credited), `settled`. */
    status: z.enum(['funding', 'active', 'declined', 'settled']),
    /** The start of the term's first period. */
    starts_at: timestamp,
    /** When the credit was made; null until paid. */
    funded_at: timestamp.nullable(),
    /** The end of the term's last period, once settled. */
    term_ends_at: timestamp.nullable(),
    /** What invoices drew from it: so far while active (from the invoices mirrored), Stripe's once settled. */
    drawn_cents: cents,
    /** What is left to draw while active; 0 otherwise. */
    remaining_cents: cents,
    expired_cents: cents,
    rolled_over_cents: cents,
    /** Stripe's id of the invoice that charged it. */
    invoice_id: z.string().nullable(),
    created_at: timestamp,
  })
  .describe('A prepaid commit: paid up front, drawn by invoices over its term, then expired or rolled over');

export const prepaidCommitsResponse = z.object({ commits: z.array(prepaidCommit) });
export const prepaidCommitResponse = z.object({ commit: prepaidCommit });

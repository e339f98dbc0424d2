import { z } from 'zod';
import { MAX_BUDGET_UNITS } from '../../../domain/subject-budgets';
import { timestamp } from '../response-types';
import { subjectText } from '../usage/schemas';

export const subjectParams = z.object({ subject: subjectText }).strict();
export const customerBudgetParams = z.object({ email: z.email() }).strict();

export const budgetBody = z
  .object({
    /** The window the limit is per: a UTC day, or the customer's billing period. */
    per: z.enum(['day', 'period']),
    /** Units of usage the subject may use in a window; events past it are refused. */
    limit_units: z.number().int().min(1).max(MAX_BUDGET_UNITS),
    /** Percent of the limit at which a budget.threshold_reached webhook goes out, once a window; null: none. */
    alert_percent: z.number().int().min(1).max(100).nullable().default(null),
  })
  .strict();

const budget = z
  .object({
    subject: z.string(),
    per: z.enum(['day', 'period']),
    limit_units: z.number().int().positive(),
    alert_percent: z.number().int().nullable(),
    /** Units the subject used in the window now open. */
    used: z.number().int().nonnegative(),
    remaining: z.number().int().nonnegative(),
    /** Whether its next event is refused (budget_reached). */
    reached: z.boolean(),
    alert_reached: z.boolean(),
    /** When the window ends and its units come back. */
    resets_at: timestamp,
  })
  .describe("A subject's budget inside the account, and where the subject stands in the window now open");

export const budgetsResponse = z.object({ budgets: z.array(budget) });

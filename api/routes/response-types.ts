import { SUBSCRIPTION_STATUSES } from '../../domain/subscription-status';
import { z } from 'zod';

/**
 * Building blocks of the declared response schemas. They describe what the engine sends, so they are
 * exact about types (integers stay integers, a field that can be null says so) but leave objects open:
 * a client may rely on the fields listed, and new fields can be added without breaking it.
 */

/** Money in minor units (cents): always an integer inside and outside the engine. */
export const cents = z.number().int();
/** Dollar figures for clients that read dollars, derived from cents; the engine never computes with them. */
export const dollars = z.number();
export const count = z.number().int().nonnegative();
/** A moment as `Date.toISOString()` writes it (UTC, `Z`). */
export const timestamp = z.iso.datetime({ offset: true });
export const currencyCode = z.string().regex(/^[a-z]{3}$/);
export const subscriptionStatus = z.enum(SUBSCRIPTION_STATUSES);
export const interval = z.enum(['month', 'year']);
/** The `{ success: true }` answers of mutations that return nothing else. */
export const ok = z.object({ success: z.literal(true) });
/** Cursor pagination shared by the admin lists. */
export const page = { total: count, next_cursor: z.string().nullable() };

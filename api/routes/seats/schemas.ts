import { z } from 'zod';
import { MAX_SEATS } from '../../../domain/seats';
import { cents, dollars } from '../response-types';

export const seatsBody = z
  .object({
    seats: z.number().int().min(1).max(MAX_SEATS),
    /** Only answer what the change would cost; nothing changes. */
    preview: z.boolean().default(false),
  })
  .strict();

export const customerSeatsParams = z.object({ email: z.email() }).strict();

export const seatsResponse = z.object({
  seats: z.number().int(),
  previous_seats: z.number().int(),
  /** What the subscription recurs at with these seats. */
  amount_cents: cents,
  amount: dollars,
  /** More seats are invoiced at once; fewer leave their credit on the next invoice. */
  invoiced_now: z.boolean(),
  /** Unused time on the seats held, as a credit (zero or negative). */
  credit_cents: cents,
  /** Remaining time on the new count of seats. */
  charge_cents: cents,
  /** The subscription's discount on both lines. */
  discount_cents: cents,
  /** What the card pays now: zero for fewer seats. */
  due_now_cents: cents,
  /** False for a preview, or when the seats are already what was asked. */
  applied: z.boolean(),
});

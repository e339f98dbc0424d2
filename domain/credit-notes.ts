/** Stripe's reasons for a credit note, the only values it takes (it refuses any other). */
export const CREDIT_NOTE_REASONS = [
  'duplicate',
  'fraudulent',
  'order_change',
  'product_unsatisfactory',
] as const;
export type CreditNoteReason = (typeof CREDIT_NOTE_REASONS)[number];

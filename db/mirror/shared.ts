/** Stripe's epoch seconds as a Date (null when absent). */
export const date = (s: number | null | undefined) => (s ? new Date(s * 1000) : null);

/**
 * Rows read only to point at them (a charge's customer and invoice) are read as their id alone: a whole
 * row would be written back by the flush on SQLite, where MikroORM sees its dates as changed, and an
 * unchanged invoice or customer would get a new `updated_at` each time one of its charges is mirrored.
 */
export const LINK_ONLY = { fields: ['id'] as never[] };

/**
 * The types of activity failures the engine names: activities throw them, workflows and use cases branch
 * on them. One list, so a type thrown in one place is the type checked in another.
 */
export const FAILURE = {
  notFound: 'NotFound',
  invalidRequest: 'InvalidRequest',
  /** The database refused the value itself (bad encoding, too long, wrong type) or validation did. */
  invalidData: 'InvalidData',
  /** A not-null, check, unique or foreign-key constraint refused the row. */
  constraintViolation: 'ConstraintViolation',
  cardDeclined: 'CardDeclined',
  idempotencyConflict: 'IdempotencyConflict',
  stripeMisconfigured: 'StripeMisconfigured',
  lagoMisconfigured: 'LagoMisconfigured',
  keycloakMisconfigured: 'KeycloakMisconfigured',
  /** Lago did not answer: retried. */
  lagoUnavailable: 'LagoUnavailable',
  invoiceNotFound: 'InvoiceNotFound',
  noCharge: 'NoCharge',
  refundExceedsCharge: 'RefundExceedsCharge',
  chargeDisputed: 'ChargeDisputed',
  creditExceedsInvoice: 'CreditExceedsInvoice',
  invoiceNotCreditable: 'InvoiceNotCreditable',
  /** Another refund or credit note of the invoice holds its lease: retried. */
  invoiceBusy: 'InvoiceBusy',
} as const;

export type FailureType = (typeof FAILURE)[keyof typeof FAILURE];

/** Failures no retry can fix (declines, bad input, missing rows, data the database refuses, bad settings). */
export const NON_RETRYABLE_FAILURES: readonly FailureType[] = [
  FAILURE.notFound,
  FAILURE.invalidRequest,
  FAILURE.invalidData,
  FAILURE.constraintViolation,
  FAILURE.cardDeclined,
  FAILURE.idempotencyConflict,
  FAILURE.lagoMisconfigured,
  FAILURE.stripeMisconfigured,
];

import { EntitySchema, type Opt } from '@mikro-orm/core';
import type { UnusedCommit } from '../../domain/prepaid-commits';

/**
 * A prepaid commit (domain/prepaid-commits.ts): paid up front, credited to the customer's Stripe balance,
 * drawn by their invoices for `periods` billing periods from `startsAt`, then settled once.
 *
 * `status`: `funding` until its invoice is paid and the credit made; `active` while the term runs;
 * `declined` when the card refused the payment (the invoice is voided, nothing is credited); `settled`
 * when the term has ended and what was left expired or rolled over.
 */
export class PrepaidCommit {
  id!: string;
  customerId!: string;
  subscriptionId!: string;
  amountCents!: number;
  currency!: string;
  periods!: number;
  unused!: UnusedCommit;
  status!: 'funding' | 'active' | 'declined' | 'settled';
  /** The start of the term's first period (the subscription's period when it was set). */
  startsAt!: Date;
  stripeInvoiceId?: string | null;
  /** Stripe's balance transaction that credited the commit; the moves after it are what drew it. */
  creditTransactionId?: string | null;
  fundedAt?: Date | null;
  /** When the term ended: the end of its last period. */
  termEndsAt?: Date | null;
  drawnCents?: number | null;
  expiredCents?: number | null;
  rolledOverCents?: number | null;
  settledAt?: Date | null;
  /** The subscription while the commit is funding or active, else null: unique, one at a time. */
  liveFor?: string | null;
  createdBy!: string;
  createdAt: Opt<Date> = new Date();
}

export const PrepaidCommitSchema = new EntitySchema<PrepaidCommit>({
  class: PrepaidCommit,
  tableName: 'prepaid_commits',
  indexes: [{ properties: ['customerId', 'createdAt'] }, { properties: ['status'] }],
  properties: {
    id: { type: 'string', primary: true, length: 40 },
    customerId: { type: 'string', length: 40 },
    subscriptionId: { type: 'string', length: 40 },
    amountCents: { type: 'integer' },
    currency: { type: 'string', length: 3 },
    periods: { type: 'integer' },
    unused: { type: 'string', length: 16 },
    status: { type: 'string', length: 16 },
    startsAt: { type: 'Date' },
    stripeInvoiceId: { type: 'string', length: 100, nullable: true },
    creditTransactionId: { type: 'string', length: 100, nullable: true },
    fundedAt: { type: 'Date', nullable: true },
    termEndsAt: { type: 'Date', nullable: true },
    drawnCents: { type: 'integer', nullable: true },
    expiredCents: { type: 'integer', nullable: true },
    rolledOverCents: { type: 'integer', nullable: true },
    settledAt: { type: 'Date', nullable: true },
    liveFor: { type: 'string', length: 40, nullable: true, unique: true },
    createdBy: { type: 'string', length: 320 },
    createdAt: { type: 'Date' },
  },
});

import { EntitySchema, type Opt } from '@mikro-orm/core';

/**
 * A customer's minimum commitment on one subscription (domain/commitments.ts): at least `minimumCents` a
 * billing period from `startsAt`, until `endedAt`. One live commitment a subscription.
 */
export class Commitment {
  id!: string;
  customerId!: string;
  subscriptionId!: string;
  minimumCents!: number;
  currency!: string;
  startsAt!: Date;
  endedAt?: Date | null;
  /** The subscription while the commitment is live, null once ended: unique, so two at once cannot both be set. */
  liveFor?: string | null;
  /** The admin who set it (their email), for the console. */
  createdBy!: string;
  createdAt: Opt<Date> = new Date();
}

/**
 * One period a commitment was settled for: what Stripe billed for it, and the true-up it owed (0: none),
 * with the Stripe invoice that billed it. Written once per commitment and period.
 */
export class CommitmentPeriod {
  id!: string;
  commitmentId!: string;
  customerId!: string;
  periodStart!: Date;
  periodEnd!: Date;
  minimumCents!: number;
  consumedCents!: number;
  trueUpCents!: number;
  currency!: string;
  stripeInvoiceId?: string | null;
  createdAt: Opt<Date> = new Date();
}

export const CommitmentSchema = new EntitySchema<Commitment>({
  class: Commitment,
  tableName: 'commitments',
  indexes: [{ properties: ['customerId', 'createdAt'] }, { properties: ['subscriptionId', 'endedAt'] }],
  properties: {
    id: { type: 'string', primary: true, length: 40 },
    customerId: { type: 'string', length: 40 },
    subscriptionId: { type: 'string', length: 40 },
    minimumCents: { type: 'integer' },
    currency: { type: 'string', length: 3 },
    startsAt: { type: 'Date' },
    endedAt: { type: 'Date', nullable: true },
    liveFor: { type: 'string', length: 40, nullable: true, unique: true },
    createdBy: { type: 'string', length: 320 },
    createdAt: { type: 'Date' },
  },
});

export const CommitmentPeriodSchema = new EntitySchema<CommitmentPeriod>({
  class: CommitmentPeriod,
  tableName: 'commitment_periods',
  uniques: [{ properties: ['commitmentId', 'periodStart'] }],
  indexes: [{ properties: ['customerId', 'periodStart'] }],
  properties: {
    id: { type: 'string', primary: true, length: 40 },
    commitmentId: { type: 'string', length: 40 },
    customerId: { type: 'string', length: 40 },
    periodStart: { type: 'Date' },
    periodEnd: { type: 'Date' },
    minimumCents: { type: 'integer' },
    consumedCents: { type: 'integer' },
    trueUpCents: { type: 'integer' },
    currency: { type: 'string', length: 3 },
    stripeInvoiceId: { type: 'string', length: 100, nullable: true },
    createdAt: { type: 'Date' },
  },
});

import { EntitySchema, type Opt } from '@mikro-orm/core';

/** A pack of prepaid credits an admin offers: bought once through Checkout, granted when Stripe says paid. */
export class CreditPack {
  id!: string;
  code!: string;
  name!: string;
  /** Credits it grants, a positive integer. */
  credits!: number;
  priceCents!: number;
  currency: Opt<string> = 'usd';
  /** Its price in cents in currencies beside `currency`; a customer buys it in their own currency. */
  currencyPrices: Opt<Record<string, number>> = {};
  /** Codes of the plans whose subscribers may buy it; empty: every plan. */
  planCodes: Opt<string[]> = [];
  /** Days its grant lasts after the purchase; null: it never expires. */
  expiresAfterDays?: number | null;
  active: Opt<boolean> = true;
  sortOrder: Opt<number> = 0;
  createdAt: Opt<Date> = new Date();
  updatedAt: Opt<Date> = new Date();
}

export const CreditPackSchema = new EntitySchema<CreditPack>({
  class: CreditPack,
  tableName: 'credit_packs',
  properties: {
    id: { type: 'string', primary: true, length: 40 },
    code: { type: 'string', length: 64, unique: true },
    name: { type: 'string' },
    credits: { type: 'integer' },
    priceCents: { type: 'integer' },
    currency: { type: 'string', length: 3 },
    currencyPrices: { type: 'json', default: '{}' },
    planCodes: { type: 'json' },
    expiresAfterDays: { type: 'integer', nullable: true },
    active: { type: 'boolean', default: true },
    sortOrder: { type: 'integer', default: 0 },
    createdAt: { type: 'Date' },
    updatedAt: { type: 'Date', onUpdate: () => new Date() },
  },
});

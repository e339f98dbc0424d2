import { EntitySchema, type Opt } from '@mikro-orm/core';
import { Customer } from './customer';

/** A customer's own LLM provider key, encrypted; only the hint is ever shown again. */
export class ProviderKey {
  id!: string;
  customer!: Customer;
  provider!: string;
  ciphertext!: string;
  nonce!: string;
  keyHint!: string;
  label?: string | null;
  keyVersion: Opt<number> = 1;
  lastTestedAt?: Date | null;
  lastTestResult?: string | null;
  createdAt: Opt<Date> = new Date();
  updatedAt: Opt<Date> = new Date();
}

export const ProviderKeySchema = new EntitySchema<ProviderKey>({
  class: ProviderKey,
  tableName: 'provider_keys',
  uniques: [{ properties: ['customer', 'provider'] }],
  properties: {
    id: { type: 'string', primary: true, length: 40 },
    customer: { kind: 'm:1', entity: () => Customer },
    provider: { type: 'string', length: 32 },
    ciphertext: { type: 'text' },
    nonce: { type: 'string', length: 32 },
    keyHint: { type: 'string', length: 8 },
    label: { type: 'string', length: 100, nullable: true },
    keyVersion: { type: 'integer' },
    lastTestedAt: { type: 'Date', nullable: true },
    lastTestResult: { type: 'string', nullable: true },
    createdAt: { type: 'Date' },
    updatedAt: { type: 'Date', onUpdate: () => new Date() },
  },
});

import { EntitySchema, type Opt } from '@mikro-orm/core';

/** A usage type an admin added beside the built-in ones (inference, embedding, tts, stt). */
export class UsageType {
  code!: string;
  description?: string | null;
  createdBy!: string;
  createdAt: Opt<Date> = new Date();
}

export const UsageTypeSchema = new EntitySchema<UsageType>({
  class: UsageType,
  tableName: 'usage_types',
  properties: {
    code: { type: 'string', primary: true, length: 32 },
    description: { type: 'string', nullable: true },
    createdBy: { type: 'string' },
    createdAt: { type: 'Date' },
  },
});

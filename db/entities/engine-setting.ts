import { EntitySchema, type Opt } from '@mikro-orm/core';

/** A setting an admin changes at run time (the dunning policy), stored as JSON under a key. */
export class EngineSetting {
  key!: string;
  value!: unknown;
  updatedBy!: string;
  updatedAt: Opt<Date> = new Date();
}

export const EngineSettingSchema = new EntitySchema<EngineSetting>({
  class: EngineSetting,
  tableName: 'engine_settings',
  properties: {
    key: { type: 'string', primary: true, length: 64 },
    value: { type: 'json' },
    updatedBy: { type: 'string' },
    updatedAt: { type: 'Date' },
  },
});

import { EntitySchema, type Opt } from '@mikro-orm/core';

/**
 * An admin's negotiated rate for a model, in cents per million tokens by kind, in force from its UTC day
 * (never one already begun: usage is costed at the rate of its day). A later day's override supersedes it.
 */
export class ModelCostOverride {
  id!: string;
  model!: string;
  provider!: string;
  validFrom!: string;
  input!: string;
  cached!: string;
  output!: string;
  reasoning!: string;
  reason!: string;
  createdById!: string;
  createdByEmail?: string | null;
  createdAt: Opt<Date> = new Date();
}

export const ModelCostOverrideSchema = new EntitySchema<ModelCostOverride>({
  class: ModelCostOverride,
  tableName: 'model_cost_overrides',
  uniques: [{ properties: ['model', 'validFrom'] }],
  properties: {
    id: { type: 'string', primary: true, length: 40 },
    model: { type: 'string', length: 100 },
    provider: { type: 'string', length: 100 },
    validFrom: { type: 'string', length: 10 },
    input: { type: 'string', length: 20 },
    cached: { type: 'string', length: 20 },
    output: { type: 'string', length: 20 },
    reasoning: { type: 'string', length: 20 },
    reason: { type: 'string', length: 500 },
    createdById: { type: 'string', length: 320 },
    createdByEmail: { type: 'string', length: 320, nullable: true },
    createdAt: { type: 'Date' },
  },
});

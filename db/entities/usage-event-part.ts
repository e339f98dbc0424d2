import { EntitySchema } from '@mikro-orm/core';

/**
 * One token kind of a usage event whose kinds a rate card priced on lines of their own
 * (domain/token-parts.ts): the rollup its units went into. The event's own `rollupId` is then the parts mark.
 */
export class UsageEventPart {
  /** usage_events.id */
  eventId!: string;
  kind!: string;
  rollupId!: string;
  units!: number;
}

export const UsageEventPartSchema = new EntitySchema<UsageEventPart>({
  class: UsageEventPart,
  tableName: 'usage_event_parts',
  indexes: [{ properties: ['rollupId'] }],
  properties: {
    eventId: { type: 'string', primary: true, length: 40 },
    kind: { type: 'string', primary: true, length: 16 },
    rollupId: { type: 'string', length: 40 },
    units: { type: 'integer' },
  },
});

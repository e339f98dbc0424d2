import { z } from 'zod';
import { count, timestamp } from '../response-types';

export const auditLogQuery = z
  .object({
    limit: z.coerce.number().int().min(1).max(200).default(50),
    cursor: z.string().max(512).optional(),
    entity_type: z.string().max(32).optional(),
    entity_id: z.string().max(128).optional(),
  })
  .strict();

export const auditLogResponse = z.object({
  entries: z.array(
    z.object({
      id: z.string(),
      actor_id: z.string(),
      actor_email: z.string().nullable(),
      action: z.string(),
      entity_type: z.string(),
      entity_id: z.string(),
      before: z.unknown(),
      after: z.unknown(),
      created_at: timestamp,
    }),
  ),
  total: count,
  next_cursor: z.string().nullable(),
});

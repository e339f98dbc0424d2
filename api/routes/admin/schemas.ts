import { z } from 'zod';

export const auditLogQuery = z
  .object({
    limit: z.coerce.number().int().min(1).max(200).default(50),
    cursor: z.string().max(64).optional(),
    entity_type: z.string().max(32).optional(),
    entity_id: z.string().max(128).optional(),
  })
  .strict();

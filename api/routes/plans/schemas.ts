import { z } from 'zod';

export const planParams = z.object({ plan_id: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/) }).strict();

import { pruneBefore } from '../../db/retention';
import type { RetainedKind } from '../../domain/retention';
import type { ActivityDeps } from '../deps';

/** The retention loop's one step. */
export function createRetentionActivities(deps: ActivityDeps) {
  /** Deletes up to `limit` finished records of one kind created before `cutoff` (ISO 8601). */
  async function pruneRetained(req: {
    kind: RetainedKind;
    cutoff: string;
    limit: number;
  }): Promise<{ pruned: number; more: boolean }> {
    const pruned = await pruneBefore(deps.orm.em, req.kind, new Date(req.cutoff), req.limit);
    return { pruned, more: pruned === req.limit };
  }
  return { pruneRetained };
}

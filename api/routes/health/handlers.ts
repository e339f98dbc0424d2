import type { HandlerInput } from '../../routing/define-route';
import { workerState } from '../../../services/temporal/gateway';

const TIMEOUT_MS = 2000;

const firstLine = (err: unknown) => (err as Error).message.split('\n')[0] ?? 'unreachable';

async function probe(check: () => Promise<unknown>): Promise<'ok' | string> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      check(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${TIMEOUT_MS} ms`)), TIMEOUT_MS);
      }),
    ]);
    return 'ok';
  } catch (err) {
    return firstLine(err);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * 200 when the database and Temporal answer and a worker polls the task queue, 503 naming what does not:
 * without a worker every mutation would wait for nothing.
 */
export async function checkReadiness({ deps, ctx }: HandlerInput<unknown, unknown, unknown, 'public'>) {
  const [database, temporal, worker] = await Promise.all([
    probe(() => deps.orm.em.fork().getConnection().execute('select 1')),
    // A deadline on the call itself, so a slow server leaves no call retrying after the answer.
    probe(() =>
      deps.temporal.withDeadline(Date.now() + TIMEOUT_MS, () =>
        deps.temporal.workflowService.getSystemInfo({}),
      ),
    ),
    workerState(deps.temporal, deps.config.TEMPORAL_TASK_QUEUE, TIMEOUT_MS).catch(firstLine),
  ]);
  const ready = database === 'ok' && temporal === 'ok' && worker === 'ok';
  ctx.status = ready ? 200 : 503;
  ctx.body = { status: ready ? 'ready' : 'not_ready', checks: { database, temporal, worker } };
  return undefined;
}

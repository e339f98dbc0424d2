import type { HandlerInput } from '../../routing/define-route';
import { workerState } from '../../../services/temporal/gateway';

const TIMEOUT_MS = 2000;

/**
 * What /readyz says about a check: a fixed word. The route is public, and an error's text names hosts,
 * ports, database users and server versions; the detail goes to the log instead.
 */
export type CheckOutcome = 'ok' | 'unavailable' | 'timeout' | 'no pollers' | 'not_needed';

const NOT_NEEDED: CheckOutcome = 'not_needed';

class TimedOut extends Error {}

async function probe(
  name: string,
  check: () => Promise<'ok' | 'no pollers' | unknown>,
  log: (name: string, err: unknown) => void,
): Promise<CheckOutcome> {
  let timer: NodeJS.Timeout | undefined;
  try {
    const answer = await Promise.race([
      check(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new TimedOut(`no answer within ${TIMEOUT_MS} ms`)), TIMEOUT_MS);
      }),
    ]);
    return answer === 'no pollers' ? 'no pollers' : 'ok';
  } catch (err) {
    log(name, err);
    return err instanceof TimedOut || /deadline|no answer within/i.test(String((err as Error)?.message))
      ? 'timeout'
      : 'unavailable';
  } finally {
    clearTimeout(timer);
  }
}

/**
 * 200 when the database and Temporal answer and a worker polls the task queue, 503 naming what does not:
 * without a worker every mutation would wait for nothing.
 */
export async function checkReadiness({ deps, ctx }: HandlerInput<unknown, unknown, unknown, 'public'>) {
  const log = (check: string, err: unknown) => ctx.state.log?.warn({ check, err }, 'readiness check failed');
  // An access lane's answers never reach Temporal: it is ready while its database answers.
  const needsTemporal = deps.config.API_SERVES === 'all';
  const [database, temporal, worker] = await Promise.all([
    probe('database', () => deps.orm.em.fork().getConnection().execute('select 1'), log),
    // A deadline on the call itself, so a slow server leaves no call retrying after the answer.
    needsTemporal
      ? probe(
          'temporal',
          () =>
            deps.temporal.withDeadline(Date.now() + TIMEOUT_MS, () =>
              deps.temporal.workflowService.getSystemInfo({}),
            ),
          log,
        )
      : NOT_NEEDED,
    needsTemporal
      ? probe('worker', () => workerState(deps.temporal, deps.config.TEMPORAL_TASK_QUEUE, TIMEOUT_MS), log)
      : NOT_NEEDED,
  ]);
  const fine = (c: CheckOutcome) => c === 'ok' || c === 'not_needed';
  const ready = fine(database) && fine(temporal) && fine(worker);
  ctx.status = ready ? 200 : 503;
  ctx.body = { status: ready ? 'ready' : 'not_ready', checks: { database, temporal, worker } };
  return undefined;
}

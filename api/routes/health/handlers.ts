import type { HandlerInput } from '../../route';

const TIMEOUT_MS = 2000;

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
    return (err as Error).message.split('\n')[0] ?? 'unreachable';
  } finally {
    clearTimeout(timer);
  }
}

/** 200 when both the database and Temporal answer, 503 naming the one that does not. */
export async function checkReadiness({ deps, ctx }: HandlerInput<unknown, unknown, unknown, 'public'>) {
  const [database, temporal] = await Promise.all([
    probe(() => deps.orm.em.fork().getConnection().execute('select 1')),
    // A deadline on the call itself, so a slow server leaves no call retrying after the answer.
    probe(() =>
      deps.temporal.withDeadline(Date.now() + TIMEOUT_MS, () =>
        deps.temporal.workflowService.getSystemInfo({}),
      ),
    ),
  ]);
  const ready = database === 'ok' && temporal === 'ok';
  ctx.status = ready ? 200 : 503;
  ctx.body = { status: ready ? 'ready' : 'not_ready', checks: { database, temporal } };
  return undefined;
}

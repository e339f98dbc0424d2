import {
  type Client,
  type ConnectionOptions,
  defaultGrpcRetryOptions,
  isGrpcCancelledError,
  isGrpcDeadlineError,
  isGrpcServiceError,
  makeGrpcRetryInterceptor,
  WorkflowFailedError,
  WorkflowUpdateFailedError,
  WorkflowUpdateRPCTimeoutOrCancelledError,
} from '@temporalio/client';
import { ActivityFailure, ApplicationFailure } from '@temporalio/common';
import {
  AppError,
  conflict,
  paymentProviderFailed,
  storedConflict,
  unavailable,
  unstorableValue,
} from '../../domain/errors';
import type { CoreDeps } from '../deps';
import { systemClock } from '../../domain/clock';
import { FAILURE } from '../../domain/failure-types';

/** How long a request waits on a workflow (a start, an Update, a result) before answering 504. */
export const WORKFLOW_DEADLINE_MS = 10_000;
/** How long the worker check may take: past it Temporal counts as unavailable. */
export const PROBE_DEADLINE_MS = 2_000;
/** How long a worker seen polling is taken as present, so a burst of mutations costs one DescribeTaskQueue. */
export const WORKER_CHECK_CACHE_MS = 3_000;

// gRPC's RESOURCE_EXHAUSTED, UNAVAILABLE and FAILED_PRECONDITION; Temporal's TASK_QUEUE_TYPE_WORKFLOW, _ACTIVITY and
// TASK_QUEUE_KIND_NORMAL.
const RESOURCE_EXHAUSTED = 8;
const UNAVAILABLE = 14;
const FAILED_PRECONDITION = 9;
const WORKFLOW_TASKS = 1;
const ACTIVITY_TASKS = 2;
const NORMAL_QUEUE = 1;

type GrpcInterceptor = NonNullable<ConnectionOptions['interceptors']>[number];

/**
 * Epoch ms for gRPC call deadlines, which the transport compares with the system's time: never a test's
 * clock (a fixed one would put every deadline in the past). The one place this file reads the wall clock.
 */
const wallClockMs = (): number => systemClock.now().getTime();

/**
 * The SDK's gRPC retries (backoff up to 5 s, 10 attempts: 18 s against a Temporal that is down), but no
 * attempt is scheduled past the call's deadline, so no retry outlives the answer the API gave.
 */
export function retriesWithinDeadline(): GrpcInterceptor {
  const sdk = defaultGrpcRetryOptions();
  return (options, nextCall) => {
    const deadline = options.deadline == null ? Infinity : new Date(options.deadline).getTime();
    let delay = 0;
    return makeGrpcRetryInterceptor({
      retryableDecider: (attempt, status) => {
        delay = sdk.delayFunction(attempt, status);
        return sdk.retryableDecider(attempt, status) && wallClockMs() + delay < deadline;
      },
      delayFunction: () => delay,
    })(options, nextCall);
  };
}

/**
 * Runs `fn` with a deadline on every Temporal call it makes and cancels them when it passes, so nothing
 * keeps running after the answer. A slow answer rejects with a deadline error (see toAppError).
 */
async function withTemporalDeadline<T>(client: Client, ms: number, fn: () => Promise<T>): Promise<T> {
  const abort = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  // The client's gRPC retries sleep past a deadline before noticing it, so a timer answers on time.
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DeadlineExpired(ms)), ms);
  });
  try {
    return await Promise.race([
      client.withDeadline(wallClockMs() + ms, () => client.withAbortSignal(abort.signal, fn)),
      expired,
    ]);
  } finally {
    clearTimeout(timer);
    abort.abort();
  }
}

class DeadlineExpired extends Error {
  constructor(readonly ms: number) {
    super(`no answer within ${ms} ms`);
  }
}

/**
 * Whether a worker polls the task queue for both workflow and activity tasks. Temporal lists a poller
 * for a few minutes after it was last seen, so a worker that just died still counts; the call deadline
 * covers that window.
 */
export async function workerState(
  client: Client,
  taskQueue: string,
  ms = PROBE_DEADLINE_MS,
): Promise<'ok' | 'no pollers'> {
  const answers = await withTemporalDeadline(client, ms, () =>
    Promise.all(
      [WORKFLOW_TASKS, ACTIVITY_TASKS].map((taskQueueType) =>
        client.workflowService.describeTaskQueue({
          namespace: client.options.namespace,
          taskQueue: { name: taskQueue, kind: NORMAL_QUEUE },
          taskQueueType,
        }),
      ),
    ),
  );
  return answers.every((a) => a.pollers.length > 0) ? 'ok' : 'no pollers';
}

type WorkerCheck = 'ok' | 'no pollers' | 'unavailable';
const checks = new WeakMap<Client, Map<string, { at: number; outcome: Promise<WorkerCheck> }>>();

/** How long a "no pollers" answer is looked at again before it is believed (a worker just starting). */
export const NO_WORKER_GRACE_MS = 1_000;

/**
 * 503 before a workflow is started or updated that no worker would pick up. A present worker is
 * remembered briefly; an absent one is asked about again for a moment, since a worker that has just
 * started polling is not listed at once, and only then refused.
 */
async function requireWorker(client: Client, taskQueue: string, ms: number): Promise<void> {
  let byQueue = checks.get(client);
  if (!byQueue) checks.set(client, (byQueue = new Map()));
  const check = (): Promise<WorkerCheck> =>
    workerState(client, taskQueue, ms).catch(() => 'unavailable' as const);
  const cached = byQueue.get(taskQueue);
  // The cache's age and the grace period are stopwatches (performance.now()), not business time.
  let outcome =
    cached && performance.now() - cached.at <= WORKER_CHECK_CACHE_MS ? await cached.outcome : await check();
  for (
    const started = performance.now();
    outcome === 'no pollers' && performance.now() - started < NO_WORKER_GRACE_MS;
  ) {
    await new Promise((r) => setTimeout(r, 200));
    outcome = await check();
  }
  if (outcome === 'ok') {
    byQueue.set(taskQueue, { at: performance.now(), outcome: Promise.resolve(outcome) });
    return;
  }
  byQueue.delete(taskQueue);
  if (outcome === 'no pollers') {
    throw unavailable(
      'no_worker',
      `No worker is polling task queue "${taskQueue}"; the request was not started`,
    );
  }
  throw temporalUnavailable();
}

const temporalUnavailable = () =>
  unavailable('temporal_unavailable', 'The workflow service cannot be reached; try again shortly');

function grpcCode(err: unknown): number | undefined {
  for (let e = err; e instanceof Error; e = (e as { cause?: unknown }).cause) {
    if (isGrpcServiceError(e)) return e.code;
  }
  return undefined;
}

/** A failed workflow or Update as the engine's error shape; null for anything else. */
function failureToAppError(err: unknown): AppError | null {
  if (!(err instanceof WorkflowFailedError) && !(err instanceof WorkflowUpdateFailedError)) return null;
  const cause = err.cause;
  const inner = cause instanceof ActivityFailure ? cause.cause : cause;
  const type = inner instanceof ApplicationFailure ? inner.type : undefined;
  if (type === FAILURE.cardDeclined)
    return new AppError('payment_required', 'card_declined', inner?.message ?? '');
  if (type === FAILURE.invalidData) return unstorableValue();
  if (type === FAILURE.constraintViolation) return storedConflict();
  if (err instanceof WorkflowUpdateFailedError) {
    if (cause instanceof ActivityFailure) {
      return new AppError('upstream', 'payment_provider_error', 'The payment provider refused the change');
    }
    return conflict('invalid_subscription_state', cause?.message ?? err.message);
  }
  if (type === FAILURE.notFound)
    return new AppError('not_found', 'payment_method_not_found', inner?.message ?? '');
  if (type === FAILURE.invalidRequest)
    return new AppError('invalid', 'invalid_request', inner?.message ?? '');
  return paymentProviderFailed();
}

/** Any failure of a call to Temporal as the engine's error shape; other errors pass through. */
export function toAppError(err: unknown, ms = WORKFLOW_DEADLINE_MS): unknown {
  const failure = failureToAppError(err);
  if (failure) return failure;
  if (
    err instanceof DeadlineExpired ||
    err instanceof WorkflowUpdateRPCTimeoutOrCancelledError ||
    isGrpcDeadlineError(err) ||
    isGrpcCancelledError(err)
  ) {
    return new AppError(
      'timeout',
      'workflow_timeout',
      `The workflow did not answer within ${Math.round(ms / 1000)} s; the request may still complete`,
    );
  }
  if (grpcCode(err) === UNAVAILABLE) return temporalUnavailable();
  // Temporal sheds load it cannot take now ("Workflow is busy", a namespace's rate limit): a moment
  // later the same request goes through, so the caller is told to retry, not that the engine broke.
  if (grpcCode(err) === RESOURCE_EXHAUSTED) {
    return unavailable(
      'workflow_busy',
      'The workflow service is too busy to answer now; try again shortly (the request may still complete)',
    );
  }
  // Temporal refuses an Update while the run's workflow task keeps failing: the run is stuck until the
  // workflow is mended, which is the engine's fault, not the caller's, and nothing was changed.
  if (grpcCode(err) === FAILED_PRECONDITION) {
    return unavailable(
      'workflow_unavailable',
      'The workflow behind this request cannot take requests right now; nothing was changed',
    );
  }
  return err;
}

export interface WorkflowCallOptions {
  /** The whole call's budget, the worker check included. */
  deadlineMs?: number;
  /** False for calls Temporal keeps until a worker comes (a signal): no worker check then. */
  needsWorker?: boolean;
}

/**
 * Every API call that waits on a workflow goes through here: 503 at once when Temporal or the worker is
 * missing, 504 when the answer does not come within the deadline (the call is then cancelled), and a
 * workflow's or Update's failure mapped to its status and stable code.
 */
export async function callWorkflow<T>(
  deps: Pick<CoreDeps, 'temporal' | 'config'>,
  fn: () => Promise<T>,
  opts: WorkflowCallOptions = {},
): Promise<T> {
  const ms = opts.deadlineMs ?? WORKFLOW_DEADLINE_MS;
  // The budget is spent on a stopwatch, not on business time.
  const started = performance.now();
  if (opts.needsWorker !== false) {
    await requireWorker(deps.temporal, deps.config.TEMPORAL_TASK_QUEUE, Math.min(ms, PROBE_DEADLINE_MS));
  }
  try {
    return await withTemporalDeadline(deps.temporal, Math.max(ms - (performance.now() - started), 1), fn);
  } catch (err) {
    throw toAppError(err, ms);
  }
}

/**
 * Whether an error means the database could not be reached or went away during the call (refused, cut,
 * restarting, no connection free in time), as opposed to a fault of the statement. Such a call's outcome
 * may be unknown, a commit cut off included: the caller is told to try again, never that it failed.
 */
export function isDatabaseUnreachable(err: unknown): boolean {
  let e: unknown = err;
  for (let depth = 0; depth < 6 && e && typeof e === 'object'; depth++) {
    const { code, message } = e as { code?: unknown; message?: unknown };
    if (typeof code === 'string' && UNREACHABLE_CODES.has(code)) return true;
    if (typeof message === 'string' && UNREACHABLE_MESSAGE.test(message)) return true;
    const next = e as { cause?: unknown; previous?: unknown };
    e = next.cause ?? next.previous;
  }
  return false;
}

/** Node's socket errors and PostgreSQL's SQLSTATEs for a server shutting down or a connection lost. */
const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  // admin_shutdown, crash_shutdown, cannot_connect_now
  '57P01',
  '57P02',
  '57P03',
  // connection_exception and its kinds
  '08000',
  '08001',
  '08003',
  '08004',
  '08006',
]);

const UNREACHABLE_MESSAGE =
  /Connection terminated|terminating connection|Connection ended unexpectedly|Timeout acquiring a connection|the database system is (starting up|shutting down|in recovery)/i;

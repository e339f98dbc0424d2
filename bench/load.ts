/**
 * The benchmarks' HTTP load generator: keep-alive connections on loopback, either a closed loop (a fixed
 * number of requests in flight, each lane sending its next as soon as its last is answered) or an open loop
 * (a fixed rate, latency counted from when each request was due, so a stall is not hidden by sending less).
 * The usage benchmark and the peer benchmark drive both systems through it, so their figures compare.
 */
import { Agent, request } from 'node:http';

export interface Target {
  port: number;
  method?: 'GET' | 'POST';
  /** The path of request `i` (0-based, counted across lanes). */
  path: (i: number) => string;
  /** The same headers for every request, or request `i`'s. */
  headers?: Record<string, string> | ((i: number) => Record<string, string>);
  /** The JSON body of request `i`, or null for none. */
  body?: (i: number) => string | null;
  /** Whether an answer counts as a success; default: any 2xx. */
  ok?: (status: number, text: string) => boolean;
}

export interface LoadResult {
  requests: number;
  seconds: number;
  failures: number;
  latenciesMs: number[];
  /** The first few failures, for the report. */
  failureSamples: string[];
}

interface Shot {
  status: number;
  text: string;
  error?: string;
}

function send(agent: Agent, t: Target, i: number): Promise<Shot> {
  return new Promise((resolve) => {
    const body = t.body?.(i) ?? null;
    const req = request(
      {
        agent,
        host: '127.0.0.1',
        port: t.port,
        method: t.method ?? (body === null ? 'GET' : 'POST'),
        path: t.path(i),
        headers: {
          ...(typeof t.headers === 'function' ? t.headers(i) : t.headers),
          ...(body !== null
            ? { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) }
            : {}),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString() }));
      },
    );
    req.setTimeout(30_000, () => req.destroy(new Error('timeout')));
    req.on('error', (err) => resolve({ status: 0, text: '', error: err.message }));
    req.end(body ?? undefined);
  });
}

class Tally {
  readonly latenciesMs: number[] = [];
  readonly failureSamples: string[] = [];
  failures = 0;

  record(target: Target, shot: Shot, ms: number): void {
    this.latenciesMs.push(ms);
    const ok = target.ok ? target.ok(shot.status, shot.text) : shot.status >= 200 && shot.status < 300;
    if (ok) return;
    this.failures++;
    if (this.failureSamples.length < 5)
      this.failureSamples.push(`${shot.status} ${shot.error ?? ''}${shot.text.slice(0, 300)}`);
  }

  result(seconds: number): LoadResult {
    return {
      requests: this.latenciesMs.length,
      seconds,
      failures: this.failures,
      latenciesMs: this.latenciesMs,
      failureSamples: this.failureSamples,
    };
  }
}

const elapsedMs = (since: bigint) => Number(process.hrtime.bigint() - since) / 1e6;

/** `concurrency` requests in flight until `seconds` pass or `maxRequests` were sent. */
export async function closedLoop(
  target: Target,
  opts: { concurrency: number; seconds: number; maxRequests?: number },
): Promise<LoadResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: opts.concurrency });
  const tally = new Tally();
  const max = opts.maxRequests ?? Number.MAX_SAFE_INTEGER;
  const deadline = Date.now() + opts.seconds * 1000;
  let next = 0;
  const t0 = process.hrtime.bigint();
  const lane = async () => {
    while (next < max && Date.now() < deadline) {
      const i = next++;
      const t = process.hrtime.bigint();
      const shot = await send(agent, target, i);
      tally.record(target, shot, elapsedMs(t));
    }
  };
  await Promise.all(Array.from({ length: opts.concurrency }, lane));
  agent.destroy();
  return tally.result(elapsedMs(t0) / 1000);
}

/**
 * `rate` requests a second for `seconds`, at most `maxInFlight` at once (a request due while all are busy
 * waits, and its wait counts in its latency). The rate reported is over the whole time, answers included.
 */
export async function openLoop(
  target: Target,
  opts: { rate: number; seconds: number; maxInFlight?: number },
): Promise<LoadResult> {
  const maxInFlight = opts.maxInFlight ?? 256;
  const agent = new Agent({ keepAlive: true, maxSockets: maxInFlight });
  const tally = new Tally();
  const total = Math.round(opts.rate * opts.seconds);
  const intervalMs = 1000 / opts.rate;
  const t0 = process.hrtime.bigint();
  let due = 0;
  let inFlight = 0;
  let wake: (() => void) | null = null;
  const running: Promise<void>[] = [];
  // A system slower than the rate does not get to finish the backlog: what is not sent by the end is
  // not sent, and the rate achieved says so.
  while (due < total && elapsedMs(t0) < opts.seconds * 1000) {
    const dueAtMs = due * intervalMs;
    const wait = dueAtMs - elapsedMs(t0);
    // Timers are coarse (about 1 ms): send everything that is due, then sleep.
    if (wait > 1) await new Promise((r) => setTimeout(r, wait - 0.5));
    while (inFlight >= maxInFlight) await new Promise<void>((r) => (wake = r));
    const i = due++;
    inFlight++;
    // From when it was due, or from when it went if that was earlier (a request sent up to 1 ms early).
    const from = Math.min(dueAtMs, elapsedMs(t0));
    running.push(
      send(agent, target, i).then((shot) => {
        tally.record(target, shot, elapsedMs(t0) - from);
        inFlight--;
        const w = wake;
        wake = null;
        w?.();
      }),
    );
  }
  await Promise.all(running);
  agent.destroy();
  return tally.result(elapsedMs(t0) / 1000);
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] as number;
}

/** Rate (units a second) and latency percentiles of one run. */
export function figures(r: LoadResult, unitsPerRequest = 1): { rate: number; p50: number; p99: number } {
  const sorted = [...r.latenciesMs].sort((a, b) => a - b);
  return {
    rate: ((r.requests - r.failures) * unitsPerRequest) / r.seconds,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
  };
}

/** `min / median / max` of a figure over runs. */
export function spread(values: number[], digits = 0): string {
  const s = [...values].sort((a, b) => a - b);
  const f = (v: number | undefined) =>
    v === undefined || Number.isNaN(v)
      ? '-'
      : v.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
  return `${f(s[0])} / ${f(s[Math.floor((s.length - 1) / 2)])} / ${f(s[s.length - 1])}`;
}

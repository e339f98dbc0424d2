/**
 * How the chaos run's actors call the engine and the emulator: as a careful client would. A call that got
 * no answer a server wrote (a connection cut by a killed API, the balancer's 502, a 503 while Temporal is
 * away, a 504) is sent again after a pause, the same request, so only calls that are safe to repeat go
 * through `retrying`.
 */

export interface Answer<T = Record<string, unknown>> {
  status: number;
  body: T;
}

export interface Counters {
  calls: number;
  /** Answers of 5xx or no answer, each followed by a retry. */
  retried: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** 502/503/504 and cut connections: the request may not have been acted on, or not answered. */
export function unanswered(status: number): boolean {
  return status === 0 || status === 502 || status === 503 || status === 504;
}

export class Client {
  readonly counters: Counters = { calls: 0, retried: 0 };

  constructor(
    readonly base: string,
    /** Stop retrying after this long: a fault that outlasts it is a broken run. */
    private readonly patienceMs = 180_000,
  ) {}

  async once<T = Record<string, unknown>>(
    method: string,
    path: string,
    opts: { token?: string; body?: unknown; form?: Record<string, string> } = {},
  ): Promise<Answer<T>> {
    this.counters.calls++;
    const headers: Record<string, string> = {};
    if (opts.token) headers.authorization = `Bearer ${opts.token}`;
    let body: string | undefined;
    if (opts.form) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      body = new URLSearchParams(opts.form).toString();
    } else if (opts.body !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(opts.body);
    }
    try {
      const res = await fetch(`${this.base}${path}`, {
        method,
        headers,
        body,
        signal: AbortSignal.timeout(60_000),
      });
      const text = await res.text();
      let parsed: unknown = null;
      try {
        parsed = text ? JSON.parse(text) : null;
      } catch {
        parsed = { text };
      }
      return { status: res.status, body: parsed as T };
    } catch {
      return { status: 0, body: null as T };
    }
  }

  /** Sends the same request again while it goes unanswered (see `unanswered`); any other answer is final. */
  async retrying<T = Record<string, unknown>>(
    method: string,
    path: string,
    opts: { token?: string; body?: unknown; form?: Record<string, string> } = {},
  ): Promise<Answer<T>> {
    const deadline = Date.now() + this.patienceMs;
    for (let pause = 200; ; pause = Math.min(pause * 2, 3000)) {
      const answer = await this.once<T>(method, path, opts);
      if (!unanswered(answer.status)) return answer;
      if (Date.now() > deadline)
        throw new Error(
          `${method} ${path} unanswered for ${this.patienceMs / 1000} s (last ${answer.status})`,
        );
      this.counters.retried++;
      await sleep(pause);
    }
  }
}

/** Reads until `ok` holds; throws naming what was awaited and the last value. */
export async function until<T>(
  what: string,
  read: () => Promise<T>,
  ok: (value: T) => boolean,
  timeoutMs = 120_000,
  everyMs = 500,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (ok(value)) return value;
    if (Date.now() > deadline)
      throw new Error(
        `timed out after ${timeoutMs / 1000} s waiting for ${what}; last: ${JSON.stringify(value)?.slice(0, 400)}`,
      );
    await sleep(everyMs);
  }
}

export { sleep };

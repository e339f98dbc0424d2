import { randomBytes } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { CustomerView } from './customer-view';
import type { Decision, SnapshotClaims } from './decide';
import { keyIdOf, keysOf, SnapshotRejected, verifySnapshot } from './jws';
import { backoffMs, batchBody, readBatchAnswer } from './reporter';
import { Spool, type SpooledEvent } from './spool';
import { verifyWebhook, type EngineWebhook } from './webhooks';

/** A customer as the gateway names it: by email, or by the identity provider's user id. */
export type CustomerRef = { email: string } | { userId: string };

export interface UsageInput {
  type: string;
  quantity: number;
  /** The event's id, stable across retries; one is made when absent. */
  id?: string;
  /** When it happened; now when absent. */
  timestamp?: Date;
  metadata?: Record<string, unknown>;
  /** Ran on the customer's own provider key: stored, not counted against allowances. */
  byok?: boolean;
  /**
   * What inside the customer's account it was for (a project, key or end user): the engine holds it to that
   * subject's budget, and refuses it `budget_reached` (onRejected) past it.
   */
  subject?: string;
}

/** A question for `decide` and `check`. */
export interface Want {
  /** Units the call would use (1 when absent). */
  quantity?: number;
  /** For a numeric limit: how many the product has in use. */
  inUse?: number;
  /** The subject the call is for: its budget (in the snapshot) refuses it `budget_reached` past its limit. */
  subject?: string;
}

export interface GatewayClientOptions {
  /** The engine's address, e.g. `https://billing.example.com` (no trailing `/api/v1`). */
  baseUrl: string;
  /** A bearer token with the `billing-gateway` role, or a function that gets one (asked again after a 401). */
  token: string | ((renew: boolean) => Promise<string>);
  /** A directory this process alone uses: usage not yet answered for is kept there across restarts. */
  spoolDir: string;
  /** S: a snapshot older than this is refreshed in the background (5 s by default). */
  refreshSeconds?: number;
  /** F: past S, how long a snapshot still answers while its refresh is out (1 s by default). */
  graceSeconds?: number;
  /** C: how stale the engine's counters may be (its counter cache: 1 s). */
  engineStalenessSeconds?: number;
  /** How often recorded usage is sent (100 ms by default); a full batch goes at once. */
  flushIntervalMs?: number;
  /** Events a report carries at most (the engine takes 1,000). */
  maxBatch?: number;
  /** A request to the engine that takes longer is abandoned and tried again (5 s by default). */
  requestTimeoutMs?: number;
  /** The outgoing webhook endpoint's secret (`whsec_…`), for `handleWebhook`. */
  webhookSecret?: string;
  /** What `check` answers when no snapshot can be had: refuse (default) or allow. */
  whenUnavailable?: 'deny' | 'allow';
  /** The engine refused an event for good (`daily_quota_exceeded`, `invalid`, …): it is not sent again. */
  onRejected?: (event: SpooledEvent, reason: string) => void;
  /** A report or snapshot fetch failed and will be tried again. */
  onError?: (err: Error) => void;
  /** The clock decisions and the spool's timestamps use (tests move it). */
  now?: () => number;
}

export interface ClientStats {
  /** Events recorded and not yet answered for. */
  pending: number;
  /** Customers the client holds a snapshot or uncounted usage for. */
  customers: number;
  sent: number;
  rejected: number;
  retries: number;
  /** The longest from recording an event to the engine's answer for it, so far (B of the bound). */
  maxReportMs: number;
  /** The longest snapshot fetch so far (F of the bound). */
  maxFetchMs: number;
}

interface CustomerState {
  ref: CustomerRef;
  view: CustomerView;
  refreshing: Promise<void> | null;
}

/** The engine caps a report's units in all; a batch stays under it. */
const MAX_UNITS_PER_REPORT = 10_000_000;

const keyOf = (ref: CustomerRef) => ('email' in ref ? `e:${ref.email.toLowerCase()}` : `u:${ref.userId}`);

/** The engine's limits on one event (docs/usage.md): checked here too, before anything is counted. */
const MAX_QUANTITY_PER_EVENT = 1_000_000;
const USAGE_TYPE = /^[a-z0-9][a-z0-9_.-]{0,63}$/;
/** A subject as the engine takes it (its domain/subject-budgets.ts SUBJECT_PATTERN). */
const SUBJECT = /^[A-Za-z0-9._:@+-]{1,100}$/;
const MAX_ID_LENGTH = 200;

/**
 * Text the engine refuses in an identifier (an event id, a user id, an email): a lone UTF-16 surrogate,
 * which no database stores as sent, and control characters, line breaks and the Unicode line and paragraph
 * separators. Refused here, an event is never counted locally and then handed back by the engine.
 */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const IDENTIFIER_CONTROLS = /[\u0000-\u001F\u007F-\u009F\u2028\u2029]/;
const MAX_USER_ID_LENGTH = 200;
const MAX_EMAIL_LENGTH = 320;

const identifier = (v: unknown, max: number): v is string =>
  typeof v === 'string' &&
  v.length > 0 &&
  v.length <= max &&
  !LONE_SURROGATE.test(v) &&
  !IDENTIFIER_CONTROLS.test(v);

const wholeNumber = (v: unknown, min: number, max: number): v is number =>
  typeof v === 'number' && Number.isSafeInteger(v) && v >= min && v <= max;

/**
 * A usage event or a question the engine would refuse is refused here, at once: a negative or fractional
 * quantity counted locally would give the customer room instead of taking it.
 */
function checkUsage(ref: CustomerRef, usage: UsageInput): void {
  const { email, userId } = (ref ?? {}) as { email?: unknown; userId?: unknown };
  if (!ref || (typeof email !== 'string' && typeof userId !== 'string'))
    throw new TypeError('the customer is { email } or { userId }');
  if (email !== undefined && !identifier(email, MAX_EMAIL_LENGTH))
    throw new RangeError(
      `the customer's email must be 1 to ${MAX_EMAIL_LENGTH} characters of well-formed text without control characters`,
    );
  if (userId !== undefined && !identifier(userId, MAX_USER_ID_LENGTH))
    throw new RangeError(
      `the customer's userId must be 1 to ${MAX_USER_ID_LENGTH} characters of well-formed text without control characters`,
    );
  if (!wholeNumber(usage.quantity, 1, MAX_QUANTITY_PER_EVENT))
    throw new RangeError(`quantity must be a whole number from 1 to ${MAX_QUANTITY_PER_EVENT}`);
  if (typeof usage.type !== 'string' || !USAGE_TYPE.test(usage.type))
    throw new RangeError('type must be a lower-case usage type name');
  if (usage.id !== undefined && !identifier(usage.id, MAX_ID_LENGTH))
    throw new RangeError(
      `id must be 1 to ${MAX_ID_LENGTH} characters of well-formed text without control characters`,
    );
  if (
    usage.timestamp !== undefined &&
    !(usage.timestamp instanceof Date && Number.isFinite(usage.timestamp.getTime()))
  )
    throw new RangeError('timestamp must be a valid Date');
  if (usage.subject !== undefined && (typeof usage.subject !== 'string' || !SUBJECT.test(usage.subject)))
    throw new RangeError('subject must be 1 to 100 letters, digits or ._:@+- characters');
}

function checkWant(want: Want): void {
  if (want.quantity !== undefined && !wholeNumber(want.quantity, 1, Number.MAX_SAFE_INTEGER))
    throw new RangeError('quantity must be a whole number of at least 1');
  if (want.inUse !== undefined && !wholeNumber(want.inUse, 0, Number.MAX_SAFE_INTEGER))
    throw new RangeError('inUse must be a whole number of at least 0');
  if (want.subject !== undefined && (typeof want.subject !== 'string' || !SUBJECT.test(want.subject)))
    throw new RangeError('subject must be 1 to 100 letters, digits or ._:@+- characters');
}

export class EngineUnavailable extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EngineUnavailable';
  }
}

/**
 * What an AI gateway imports: decides access locally from the engine's signed entitlement snapshots, and
 * reports usage in batches from a durable spool. See the package's README for the overspend bound.
 */
export class GatewayClient {
  readonly #opts: Required<
    Pick<
      GatewayClientOptions,
      | 'refreshSeconds'
      | 'graceSeconds'
      | 'engineStalenessSeconds'
      | 'flushIntervalMs'
      | 'maxBatch'
      | 'requestTimeoutMs'
      | 'whenUnavailable'
    >
  > &
    GatewayClientOptions;
  readonly #spool: Spool;
  readonly #now: () => number;
  readonly #customers = new Map<string, CustomerState>();
  readonly #recordedAt = new Map<string, number>();
  #keys: Map<string, KeyObject> | null = null;
  #keysLoading: Promise<Map<string, KeyObject>> | null = null;
  #token: string | null = null;
  /** The engine answered 401 to a report: the next token is a renewed one. */
  #tokenRefused = false;
  #timer: NodeJS.Timeout | null = null;
  #sending: Promise<void> | null = null;
  #retryAtMs = 0;
  #sweptAtMs = 0;
  #failures = 0;
  #closed = false;
  readonly #stats = { sent: 0, rejected: 0, retries: 0, maxReportMs: 0, maxFetchMs: 0 };

  private constructor(opts: GatewayClientOptions, spool: Spool) {
    this.#opts = {
      refreshSeconds: 5,
      graceSeconds: 1,
      engineStalenessSeconds: 1,
      flushIntervalMs: 100,
      maxBatch: 1000,
      requestTimeoutMs: 5000,
      whenUnavailable: 'deny',
      ...opts,
      baseUrl: opts.baseUrl.replace(/\/+$/, ''),
    };
    this.#spool = spool;
    this.#now = opts.now ?? Date.now;
    const now = this.#now();
    // What an earlier run recorded and the engine never answered for counts against its customers here too.
    for (const e of spool.pending()) {
      this.#recordedAt.set(e.id, now);
      if (!e.byok)
        this.#state(e.customer as CustomerRef).view.own.record(e.id, e.type, e.quantity, e.subject);
    }
  }

  /** Opens the spool (sending what an earlier run left in it) and starts reporting. */
  static async start(opts: GatewayClientOptions): Promise<GatewayClient> {
    const client = new GatewayClient(opts, await Spool.open(opts.spoolDir));
    client.#timer = setInterval(() => client.#tick(), client.#opts.flushIntervalMs);
    client.#timer.unref();
    return client;
  }

  /**
   * The local decision, or null when there is no snapshot to decide from (call `check`). A snapshot past its
   * refresh age still answers while a fresh one is fetched in the background.
   */
  decide(ref: CustomerRef, feature: string, want: Want = {}): Decision | null {
    checkWant(want);
    const state = this.#customers.get(keyOf(ref));
    if (!state) return null;
    const now = this.#now();
    if (state.view.standing(now) === 'refresh')
      this.#refresh(state).catch((err) => this.#opts.onError?.(err));
    return state.view.decide(now, feature, want.quantity ?? 1, want.inUse ?? 0, false, want.subject);
  }

  /** The decision, fetching a snapshot first when none can answer. */
  async check(ref: CustomerRef, feature: string, want: Want = {}): Promise<Decision> {
    const now = this.decide(ref, feature, want);
    if (now) return now;
    const state = this.#state(ref);
    try {
      await this.#refresh(state);
    } catch (err) {
      this.#opts.onError?.(err as Error);
    }
    return (
      state.view.decide(this.#now(), feature, want.quantity ?? 1, want.inUse ?? 0, true, want.subject) ?? {
        allowed: this.#opts.whenUnavailable === 'allow',
        reason: 'engine_unavailable',
        limit: null,
        remaining: null,
      }
    );
  }

  /**
   * Records usage: on disk before this resolves, counted against the customer's allowances at once, sent to
   * the engine in the next batch. Returns the event's id.
   */
  async record(ref: CustomerRef, usage: UsageInput): Promise<string> {
    if (this.#closed) throw new Error('the gateway client is closed');
    checkUsage(ref, usage);
    const id = usage.id ?? `gw_${this.#now().toString(36)}${randomBytes(10).toString('hex')}`;
    const event: SpooledEvent = {
      id,
      customer: 'email' in ref ? { email: ref.email } : { userId: ref.userId },
      type: usage.type,
      quantity: usage.quantity,
      timestamp: (usage.timestamp ?? new Date(this.#now())).toISOString(),
      ...(usage.metadata !== undefined && { metadata: usage.metadata }),
      ...(usage.byok !== undefined && { byok: usage.byok }),
      ...(usage.subject !== undefined && { subject: usage.subject }),
    };
    // Counted before the write: a decision made meanwhile must not let the same units through twice.
    if (!usage.byok) this.#state(ref).view.own.record(id, usage.type, usage.quantity, usage.subject);
    if (!this.#recordedAt.has(id)) this.#recordedAt.set(id, this.#now());
    await this.#spool.append([event]);
    if (this.#spool.size >= this.#opts.maxBatch) this.#tick();
    return id;
  }

  /** Drops a customer's snapshot (their access changed): the next question fetches a fresh one. */
  invalidate(who: CustomerRef | { customerId: string }): void {
    for (const state of this.#customers.values()) {
      const match =
        'customerId' in who ? state.view.customerId === who.customerId : keyOf(state.ref) === keyOf(who);
      if (match) state.view.invalidate();
    }
  }

  /**
   * Checks a delivery of the engine's outgoing webhooks and, for `access.changed`, drops that customer's
   * snapshot. Returns the envelope; throws WebhookRejected for a delivery that does not check.
   */
  handleWebhook(
    body: string | Buffer,
    headers: Record<string, string | string[] | undefined>,
  ): EngineWebhook {
    if (!this.#opts.webhookSecret) throw new Error('handleWebhook needs the webhookSecret option');
    const hook = verifyWebhook(this.#opts.webhookSecret, body, headers, this.#now());
    if (hook.type === 'access.changed' && hook.customer) {
      this.invalidate({ customerId: hook.customer.id });
      if (hook.customer.email) this.invalidate({ email: hook.customer.email });
      if (hook.customer.user_id) this.invalidate({ userId: hook.customer.user_id });
    }
    return hook;
  }

  /** Sends what is recorded now, and waits until the engine has answered for all of it (or `timeoutMs` passed). */
  async flush(timeoutMs = 30_000): Promise<void> {
    const until = Date.now() + timeoutMs;
    while (this.#spool.size > 0 && Date.now() < until) {
      this.#retryAtMs = Math.min(this.#retryAtMs, Date.now());
      await (this.#sending ?? this.#send());
      if (this.#spool.size > 0)
        await new Promise((r) => setTimeout(r, Math.max(10, this.#retryAtMs - Date.now())));
    }
  }

  stats(): ClientStats {
    return { pending: this.#spool.size, customers: this.#customers.size, ...this.#stats };
  }

  /** Stops reporting after one last flush (what is still unanswered stays in the spool for the next run). */
  async close(flushTimeoutMs = 5000): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#timer) clearInterval(this.#timer);
    await this.flush(flushTimeoutMs).catch(() => {});
    while (this.#sending) await this.#sending;
    await this.#spool.close();
  }

  #state(ref: CustomerRef): CustomerState {
    const key = keyOf(ref);
    let state = this.#customers.get(key);
    if (!state) {
      state = {
        ref,
        view: new CustomerView({
          refreshMs: this.#opts.refreshSeconds * 1000,
          graceMs: this.#opts.graceSeconds * 1000,
          stalenessMs: this.#opts.engineStalenessSeconds * 1000,
        }),
        refreshing: null,
      };
      this.#customers.set(key, state);
    }
    return state;
  }

  async #authorization(renew = false): Promise<string> {
    const { token } = this.#opts;
    if (typeof token === 'string') return `Bearer ${token}`;
    if (renew || this.#tokenRefused || !this.#token) {
      this.#token = await token(renew || this.#tokenRefused);
      this.#tokenRefused = false;
    }
    return `Bearer ${this.#token}`;
  }

  async #get(path: string, auth: boolean): Promise<unknown> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (auth) headers.authorization = await this.#authorization();
    let res = await fetch(`${this.#opts.baseUrl}${path}`, {
      headers,
      signal: AbortSignal.timeout(this.#opts.requestTimeoutMs),
    });
    if (res.status === 401 && auth && typeof this.#opts.token !== 'string') {
      headers.authorization = await this.#authorization(true);
      res = await fetch(`${this.#opts.baseUrl}${path}`, {
        headers,
        signal: AbortSignal.timeout(this.#opts.requestTimeoutMs),
      });
    }
    const text = await res.text();
    if (!res.ok) throw new EngineUnavailable(`GET ${path} answered ${res.status}: ${text.slice(0, 200)}`);
    return JSON.parse(text) as unknown;
  }

  #loadKeys(): Promise<Map<string, KeyObject>> {
    this.#keysLoading ??= this.#get('/api/v1/entitlements/jwks.json', false)
      .then((jwks) => {
        this.#keys = keysOf(jwks as { keys?: unknown });
        return this.#keys;
      })
      .finally(() => {
        this.#keysLoading = null;
      });
    return this.#keysLoading;
  }

  #refresh(state: CustomerState): Promise<void> {
    state.refreshing ??= this.#fetchSnapshot(state).finally(() => {
      state.refreshing = null;
    });
    return state.refreshing;
  }

  async #fetchSnapshot(state: CustomerState): Promise<void> {
    for (let attempt = 0; attempt < 3; attempt++) {
      const epoch = state.view.epoch;
      const startedAt = this.#now();
      const query =
        'email' in state.ref
          ? `customer_email=${encodeURIComponent(state.ref.email)}`
          : `user_id=${encodeURIComponent(state.ref.userId)}`;
      const answer = (await this.#get(`/api/v1/entitlements/snapshot?${query}`, true)) as { token?: unknown };
      if (typeof answer.token !== 'string')
        throw new EngineUnavailable('the snapshot answer carries no token');
      let keys = this.#keys ?? (await this.#loadKeys());
      const kid = keyIdOf(answer.token);
      // A key the client has not seen: the engine's master key was rotated.
      if (kid && !keys.has(kid)) keys = await this.#loadKeys();
      const snapshot = verifySnapshot(answer.token, keys, this.#now());
      this.#stats.maxFetchMs = Math.max(this.#stats.maxFetchMs, this.#now() - startedAt);
      // Invalidated while the fetch was out: what it got may predate the change.
      if (state.view.epoch !== epoch) continue;
      state.view.install(
        snapshot.claims as unknown as SnapshotClaims,
        startedAt,
        snapshot.expiresAtMs,
        snapshot.customerId,
      );
      return;
    }
    throw new SnapshotRejected('expired', 'the customer was invalidated during every fetch');
  }

  #tick(): void {
    this.#forgetIdleCustomers();
    if (this.#sending || this.#spool.size === 0 || Date.now() < this.#retryAtMs) return;
    void this.#send();
  }

  /**
   * Once a second, the customers no snapshot can answer for any more let go of what the engine has long
   * answered for, and are forgotten when nothing is left: a gateway serving many customers holds only the
   * ones it asks about.
   */
  #forgetIdleCustomers(): void {
    const now = this.#now();
    if (now - this.#sweptAtMs < 1000) return;
    this.#sweptAtMs = now;
    for (const [key, state] of this.#customers)
      if (!state.refreshing && state.view.forgetAnswered(now)) this.#customers.delete(key);
  }

  #send(): Promise<void> {
    this.#sending ??= this.#sendBatch().finally(() => {
      this.#sending = null;
    });
    return this.#sending;
  }

  /** The oldest pending events, as many as one report takes. */
  #nextBatch(): SpooledEvent[] {
    const batch: SpooledEvent[] = [];
    let units = 0;
    for (const e of this.#spool.pending()) {
      if (batch.length >= this.#opts.maxBatch || units + e.quantity > MAX_UNITS_PER_REPORT) break;
      batch.push(e);
      units += e.quantity;
    }
    return batch;
  }

  async #sendBatch(): Promise<void> {
    const batch = this.#nextBatch();
    if (batch.length === 0) return;
    let outcome;
    try {
      const res = await fetch(`${this.#opts.baseUrl}/api/v1/billing/report_usage`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: await this.#authorization() },
        body: batchBody(batch),
        signal: AbortSignal.timeout(this.#opts.requestTimeoutMs),
      });
      const text = await res.text();
      let body: unknown = null;
      try {
        body = JSON.parse(text);
      } catch {
        // A body that is not JSON (a proxy's error page) is read as no answer: the batch is sent again.
      }
      outcome = readBatchAnswer(batch, res.status, res.headers.get('retry-after'), body);
    } catch (err) {
      outcome = {
        kind: 'retry' as const,
        retryAfterMs: null,
        why: (err as Error).message,
        renewToken: false,
      };
    }
    if (outcome.kind === 'retry') {
      this.#failures++;
      this.#stats.retries++;
      this.#retryAtMs = Date.now() + (outcome.retryAfterMs ?? backoffMs(this.#failures));
      if (outcome.renewToken) this.#tokenRefused = true;
      this.#opts.onError?.(new EngineUnavailable(`report_usage not taken: ${outcome.why}`));
      return;
    }
    this.#failures = 0;
    const now = this.#now();
    const ids = batch.map((e) => e.id);
    for (const e of batch) {
      this.#customers.get(keyOf(e.customer as CustomerRef))?.view.own.acked(e.id, now);
      const at = this.#recordedAt.get(e.id);
      if (at !== undefined) this.#stats.maxReportMs = Math.max(this.#stats.maxReportMs, now - at);
      this.#recordedAt.delete(e.id);
    }
    this.#stats.sent += batch.length;
    this.#stats.rejected += outcome.rejected.length;
    for (const r of outcome.rejected) this.#opts.onRejected?.(r.event, r.reason);
    await this.#spool.ack(ids);
    // More waiting than one batch took: send the next at once rather than on the next tick.
    if (this.#spool.size >= this.#opts.maxBatch) setImmediate(() => this.#tick());
  }
}

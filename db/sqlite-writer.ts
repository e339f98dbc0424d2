import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import type { Sql } from './raw-sql';
import { openSqliteConnection, statementCache, type SqliteConnection } from './sqlite-connection';

/**
 * A SQLite connection of its own in a worker thread, for writes that commit often. better-sqlite3 is
 * synchronous: on the event loop's thread every statement, and every commit's fsync, would stop the API
 * from serving anything else meanwhile. Here a job (a function a module exports, loaded by the thread)
 * runs inside BEGIN IMMEDIATE … COMMIT on the thread, one job at a time, and `run` settles once COMMIT
 * has returned, with the job's answer or its error (the transaction then rolled back). The job sees the
 * database through the engine's Sql interface. The connection takes the same settings as the ORM's
 * (WAL, synchronous=FULL, foreign keys, a busy timeout), so both see one database; a file database only,
 * since an in-memory one cannot be shared between connections.
 */
export interface SqliteJob {
  /** Absolute path of the module that exports the job. */
  module: string;
  /** Its export: `(sql: Sql, payload) => Promise<answer>`. */
  name: string;
}

type Request = { id: number; payload: unknown } | { close: true };
type Reply =
  { id: number; value: unknown } | { id: number; error: { message: string; code?: string } } | { idle: true };

/** The thread offers to shut down after this long without work; it comes back with the next job. */
const IDLE_MS = 5 * 60_000;

export class SqliteWriter<P, R> {
  private worker: Worker | null = null;
  private nextId = 0;
  private readonly waiting = new Map<number, { resolve(v: R): void; reject(e: unknown): void }>();

  constructor(
    private readonly filename: string,
    private readonly job: SqliteJob,
    private readonly opts: { idleMs?: number } = {},
  ) {}

  /** Whether the thread is up (it goes after a while without work). */
  get running(): boolean {
    return this.worker !== null;
  }

  /** Runs the job on `payload` in one transaction; settles after its commit. */
  run(payload: P): Promise<R> {
    const worker = this.worker ?? this.start();
    const id = ++this.nextId;
    // A job in hand keeps the process alive until it is answered; an idle thread does not.
    if (this.waiting.size === 0) worker.ref();
    return new Promise<R>((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      worker.postMessage({ id, payload } satisfies Request);
    });
  }

  private start(): Worker {
    const tsx = __filename.endsWith('.ts') ? `require(${JSON.stringify(require.resolve('tsx/cjs'))});` : '';
    const worker = new Worker(`${tsx} require(${JSON.stringify(__filename)});`, {
      eval: true,
      workerData: {
        sqliteWriter: { filename: this.filename, job: this.job, idleMs: this.opts.idleMs ?? IDLE_MS },
      },
    });
    worker.unref();
    worker.on('message', (reply: Reply) => {
      if ('idle' in reply) {
        // Decided here, not in the thread, so no job can be posted to a thread on its way out.
        if (this.waiting.size === 0 && this.worker === worker) {
          this.worker = null;
          worker.postMessage({ close: true } satisfies Request);
        }
        return;
      }
      const waiter = this.waiting.get(reply.id);
      if (!waiter) return;
      this.waiting.delete(reply.id);
      if (this.waiting.size === 0) worker.unref();
      if ('error' in reply)
        waiter.reject(Object.assign(new Error(reply.error.message), { code: reply.error.code }));
      else waiter.resolve(reply.value as R);
    });
    const gone = (err: unknown) => {
      if (this.worker !== worker) return;
      this.worker = null;
      for (const w of this.waiting.values()) w.reject(err);
      this.waiting.clear();
    };
    worker.on('error', gone);
    worker.on('exit', (code) => gone(new Error(`the SQLite writer thread stopped (exit code ${code})`)));
    this.worker = worker;
    return worker;
  }

  /** Stops the thread (jobs in hand are failed). */
  async close(): Promise<void> {
    const worker = this.worker;
    if (worker) await worker.terminate();
  }
}

// ---------------------------------------------------------------------------------------------- the thread

/** The Sql interface over this thread's connection; statements are prepared once per text. */
function sqlOver(db: SqliteConnection): Sql {
  const statement = statementCache(db);
  const exec = <T>(text: string, params: readonly unknown[] | Record<string, unknown> = []): Promise<T[]> => {
    const s = statement(text);
    const args = (Array.isArray(params) ? params : [params]) as unknown[];
    if (s.reader) return Promise.resolve(s.all(args) as T[]);
    s.run(args);
    return Promise.resolve([]);
  };
  return {
    postgres: false,
    dialect: 'sqlite',
    run: (text, params) => exec(text, params),
    read: (text, params) => exec(text, params),
    write: (text, params) => exec(text, params),
    rows: (text, bindings) => exec(text, bindings),
    date: (d) => d.getTime(),
    bool: (b) => (b ? 1 : 0),
    bucket: (column, interval) =>
      `strftime('${interval === 'day' ? '%Y-%m-%d' : '%Y-%m'}', ${column} / 1000, 'unixepoch')`,
  };
}

function serveJobs(opts: { filename: string; job: SqliteJob; idleMs: number }): void {
  const port = parentPort!;
  const db = openSqliteConnection(opts.filename);
  const sql = sqlOver(db);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const job = require(opts.job.module)[opts.job.name] as (sql: Sql, payload: unknown) => Promise<unknown>;
  if (typeof job !== 'function') throw new Error(`${opts.job.module} exports no function ${opts.job.name}`);
  let idle: NodeJS.Timeout | null = null;
  let queued = 0;
  let queue = Promise.resolve();
  port.on('message', (request: Request) => {
    if ('close' in request) {
      db.close();
      process.exit(0); // ends this thread only
    }
    const { id, payload } = request;
    if (idle) clearTimeout(idle);
    idle = null;
    queued++;
    queue = queue.then(async () => {
      let reply: Reply;
      try {
        db.exec('BEGIN IMMEDIATE');
        const value = await job(sql, payload);
        db.exec('COMMIT');
        reply = { id, value };
      } catch (err) {
        if (db.inTransaction) db.exec('ROLLBACK');
        const e = err as { message?: string; code?: string };
        reply = { id, error: { message: e.message ?? String(err), code: e.code } };
      }
      port.postMessage(reply);
      if (--queued === 0)
        idle = setTimeout(() => port.postMessage({ idle: true } satisfies Reply), opts.idleMs);
    });
  });
}

const config = (workerData as { sqliteWriter?: { filename: string; job: SqliteJob; idleMs: number } } | null)
  ?.sqliteWriter;
if (!isMainThread && config) serveJobs(config);

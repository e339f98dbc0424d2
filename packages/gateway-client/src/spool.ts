import { closeSync, fsyncSync, openSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';

/** A usage event as the gateway recorded it, kept until the engine answers for it. */
export interface SpooledEvent {
  id: string;
  customer: { email?: string; userId?: string };
  type: string;
  quantity: number;
  /** ISO 8601: when it happened (the engine bills it to that UTC day). */
  timestamp: string;
  metadata?: Record<string, unknown>;
  byok?: boolean;
  subject?: string;
}

export class SpoolLocked extends Error {
  constructor(dir: string, pid: number) {
    super(
      `the spool in ${dir} is held by process ${pid} (spool.lock); one client per spool directory, and a lock a dead process left is taken over`,
    );
    this.name = 'SpoolLocked';
  }
}

type Op = { kind: 'append'; events: SpooledEvent[] } | { kind: 'ack'; ids: string[] };

const FILE = 'spool.jsonl';
const LOCK = 'spool.lock';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Takes the directory's lock file, or the lock of a process that has died; refuses a living holder. */
function takeLock(dir: string): void {
  const lock = join(dir, LOCK);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(lock, 'wx');
      writeFileSync(fd, String(process.pid));
      closeSync(fd);
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const holder = Number(readFileSync(lock, 'utf8'));
      if (Number.isInteger(holder) && holder > 0 && alive(holder)) throw new SpoolLocked(dir, holder);
      rmSync(lock, { force: true });
    }
  }
  throw new Error(`could not take the spool lock in ${dir}`);
}

/** Reads a spool file: the events not yet acknowledged, in the order recorded. A torn last line is dropped. */
function replay(text: string): { pending: Map<string, SpooledEvent>; unreadable: number } {
  const pending = new Map<string, SpooledEvent>();
  let unreadable = 0;
  const lines = text.split('\n');
  // The text after the last newline was being written when the process stopped: never acknowledged.
  lines.pop();
  for (const line of lines) {
    if (line === '') continue;
    let op: unknown;
    try {
      op = JSON.parse(line);
    } catch {
      unreadable++;
      continue;
    }
    const o = op as { e?: SpooledEvent; ack?: string[] };
    if (o.e && typeof o.e.id === 'string') {
      if (!pending.has(o.e.id)) pending.set(o.e.id, o.e);
    } else if (Array.isArray(o.ack)) for (const id of o.ack) pending.delete(id);
    else unreadable++;
  }
  return { pending, unreadable };
}

/** Writes `text` to `path` so that after a crash the path holds either the old file or all of the new one. */
function replaceDurably(dir: string, path: string, text: string): void {
  const tmp = `${path}.tmp`;
  const fd = openSync(tmp, 'w');
  try {
    writeFileSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
  const dirFd = openSync(dir, 'r');
  try {
    fsyncSync(dirFd);
  } finally {
    closeSync(dirFd);
  }
}

const linesOf = (events: Iterable<SpooledEvent>) => {
  let text = '';
  for (const e of events) text += `${JSON.stringify({ e })}\n`;
  return text;
};

/**
 * A small durable log of the usage a gateway recorded and the engine has not answered for yet. `append`
 * resolves once the events are on disk (appends that arrive together share one write and one fsync), so an
 * event the gateway was told is recorded survives a crash of the process or the machine; after a restart
 * they are sent again with the same ids, and the engine, idempotent per event id, counts each once.
 * Acknowledgements are written but not synced: one lost in a crash only means an event is sent once more.
 */
export class Spool {
  readonly #dir: string;
  readonly #path: string;
  #fh: FileHandle;
  readonly #pending: Map<string, SpooledEvent>;
  #queue: { op: Op; done: (err?: unknown) => void }[] = [];
  #writing: Promise<void> | null = null;
  #ackedSinceCompaction = 0;
  #closed = false;
  /** Lines of the file that could not be read when it was opened (a torn last line is not counted). */
  readonly unreadableLines: number;

  private constructor(dir: string, fh: FileHandle, pending: Map<string, SpooledEvent>, unreadable: number) {
    this.#dir = dir;
    this.#path = join(dir, FILE);
    this.#fh = fh;
    this.#pending = pending;
    this.unreadableLines = unreadable;
  }

  /** Opens (or creates) the spool in `dir`, which one process holds at a time. */
  static async open(dir: string): Promise<Spool> {
    takeLock(dir);
    try {
      const path = join(dir, FILE);
      let text = '';
      try {
        text = readFileSync(path, 'utf8');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      }
      const { pending, unreadable } = replay(text);
      // Start from a compact file: what is pending, and no torn line for the next append to follow.
      replaceDurably(dir, path, linesOf(pending.values()));
      return new Spool(dir, await open(path, 'a'), pending, unreadable);
    } catch (err) {
      rmSync(join(dir, LOCK), { force: true });
      throw err;
    }
  }

  /** The events not yet acknowledged, oldest first. */
  pending(): SpooledEvent[] {
    return [...this.#pending.values()];
  }

  get size(): number {
    return this.#pending.size;
  }

  /** Resolves once the events are on disk. An id already pending is kept as it was. */
  append(events: SpooledEvent[]): Promise<void> {
    return this.#enqueue({ kind: 'append', events });
  }

  /** The engine answered for these events: they are not sent again. */
  ack(ids: string[]): Promise<void> {
    return this.#enqueue({ kind: 'ack', ids });
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    while (this.#writing) await this.#writing;
    await this.#fh.close();
    rmSync(join(this.#dir, LOCK), { force: true });
  }

  #enqueue(op: Op): Promise<void> {
    if (this.#closed) return Promise.reject(new Error('the spool is closed'));
    return new Promise<void>((resolve, reject) => {
      this.#queue.push({ op, done: (err) => (err ? reject(err) : resolve()) });
      this.#writing ??= this.#drain();
    });
  }

  async #drain(): Promise<void> {
    try {
      while (this.#queue.length > 0) {
        const batch = this.#queue;
        this.#queue = [];
        try {
          await this.#write(batch.map((b) => b.op));
          for (const b of batch) b.done();
        } catch (err) {
          for (const b of batch) b.done(err);
        }
      }
    } finally {
      this.#writing = null;
    }
  }

  async #write(ops: Op[]): Promise<void> {
    let text = '';
    // Pending only once on disk: an append that fails leaves nothing to send.
    const written = new Map<string, SpooledEvent>();
    for (const op of ops) {
      if (op.kind === 'append') {
        const fresh = op.events.filter((e) => !this.#pending.has(e.id) && !written.has(e.id));
        for (const e of fresh) written.set(e.id, e);
        text += linesOf(fresh);
      } else {
        const known = op.ids.filter((id) => this.#pending.delete(id));
        if (known.length > 0) text += `${JSON.stringify({ ack: known })}\n`;
        this.#ackedSinceCompaction += known.length;
      }
    }
    if (text) await this.#fh.write(text);
    if (written.size > 0) await this.#fh.datasync();
    for (const [id, e] of written) this.#pending.set(id, e);
    // Acknowledged events are dead weight in the file: rewrite it once they outnumber what is pending.
    if (this.#ackedSinceCompaction > Math.max(10_000, 2 * this.#pending.size)) {
      await this.#fh.close();
      replaceDurably(this.#dir, this.#path, linesOf(this.#pending.values()));
      this.#fh = await open(this.#path, 'a');
      this.#ackedSinceCompaction = 0;
    }
  }
}

import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Emulator, StoredResponse } from './emulator';
import type { StoreDump } from './store';

const FORMAT = 1;

/** What survives a restart. Faults, webhook behaviour and deliveries in flight are the run's, not state. */
interface SavedState extends StoreDump {
  format: typeof FORMAT;
  savedAt: string;
  /** Kept so an activity retried across a restart replays its first answer instead of acting twice. */
  idempotency: [string, StoredResponse][];
}

/**
 * Keeps the emulator's state in one JSON file, so customers and subscriptions outlive a restart as they
 * do in the engine's database and in Temporal. Writes are debounced (a checkout makes dozens of changes)
 * and atomic (temp file, then rename), so a crash leaves the previous or the next state, never half of one.
 */
export class StateFile {
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly emu: Emulator,
    readonly path: string,
    private readonly debounceMs = 200,
  ) {}

  /** Loads the saved state, if there is one; says whether it did. */
  load(): boolean {
    if (!existsSync(this.path)) return false;
    let saved: SavedState;
    try {
      saved = JSON.parse(readFileSync(this.path, 'utf8')) as SavedState;
    } catch (e) {
      throw new Error(
        `Stripe emulator state ${this.path} is unreadable (${(e as Error).message}); move it away to start empty`,
      );
    }
    if (saved.format !== FORMAT) {
      throw new Error(
        `Stripe emulator state ${this.path} has format ${String(saved.format)}, expected ${FORMAT}; move it away to start empty`,
      );
    }
    this.emu.store.load(saved);
    this.emu.idempotency.clear();
    for (const [key, response] of saved.idempotency) this.emu.idempotency.set(key, response);
    return true;
  }

  /** Something changed: write soon, once for a burst of changes. */
  changed(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => this.flush(), this.debounceMs);
    // A pending write must not keep a test process alive; stop() flushes what is pending.
    this.timer.unref();
  }

  /** Writes now if a write is pending. Synchronous, so it also works from a signal handler on the way out. */
  flush(): void {
    if (!this.timer) return;
    clearTimeout(this.timer);
    this.timer = null;
    this.write();
  }

  write(): void {
    const state: SavedState = {
      format: FORMAT,
      savedAt: new Date().toISOString(),
      ...this.emu.store.dump(),
      idempotency: [...this.emu.idempotency],
    };
    mkdirSync(dirname(this.path), { recursive: true });
    const tmp = `${this.path}.${process.pid}.tmp`;
    // Webhook endpoint secrets are in here: readable by the owner only.
    writeFileSync(tmp, JSON.stringify(state), { mode: 0o600 });
    renameSync(tmp, this.path);
  }
}

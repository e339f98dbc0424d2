import type { Unincluded } from './decide';

interface Entry {
  type: string;
  units: number;
  /** The subject it named, whose budget it counts against. */
  subject: string | undefined;
  /** When the engine acknowledged it; null while it is unsent or unanswered. */
  ackedAtMs: number | null;
}

/**
 * The usage one gateway recorded for one customer that the customer's snapshot may not include. A snapshot
 * fetched at T counts every event the engine acknowledged before T − `staleness` (the engine's counter
 * cache); anything acknowledged later, or not yet, is counted here and taken off the snapshot's
 * `remaining`. So one gateway alone never lets a customer past an allowance, and several miss only what
 * the others recorded in the last window (see bound.ts).
 */
export class OwnUsage implements Unincluded {
  readonly #entries = new Map<string, Entry>();
  total = 0;
  readonly byType = new Map<string, number>();
  readonly bySubject = new Map<string, number>();

  /** An event this gateway let through; a repeat of an id is one event. */
  record(id: string, type: string, units: number, subject?: string): void {
    if (this.#entries.has(id)) return;
    this.#entries.set(id, { type, units, subject, ackedAtMs: null });
    this.#add(type, units, subject);
  }

  /** The engine stored (or refused) the event at `atMs`: a snapshot fetched after atMs + staleness has it. */
  acked(id: string, atMs: number): void {
    const entry = this.#entries.get(id);
    if (entry && entry.ackedAtMs === null) entry.ackedAtMs = atMs;
  }

  /** A new snapshot, fetched from `fetchStartedAtMs` on: what it surely includes is no longer counted here. */
  rebase(fetchStartedAtMs: number, stalenessMs: number): void {
    const includedBefore = fetchStartedAtMs - stalenessMs;
    this.total = 0;
    this.byType.clear();
    this.bySubject.clear();
    for (const [id, e] of this.#entries) {
      if (e.ackedAtMs !== null && e.ackedAtMs <= includedBefore) this.#entries.delete(id);
      else this.#add(e.type, e.units, e.subject);
    }
  }

  /** Drops what the engine answered for at or before `beforeMs`: every snapshot fetched from now on has it. */
  dropAnsweredBefore(beforeMs: number): void {
    for (const [id, e] of this.#entries) {
      if (e.ackedAtMs === null || e.ackedAtMs > beforeMs) continue;
      this.#entries.delete(id);
      this.total -= e.units;
      take(this.byType, e.type, e.units);
      if (e.subject !== undefined) take(this.bySubject, e.subject, e.units);
    }
  }

  /** Events held: unacknowledged, or acknowledged too recently for the snapshot to be sure to have them. */
  get size(): number {
    return this.#entries.size;
  }

  #add(type: string, units: number, subject: string | undefined): void {
    this.total += units;
    this.byType.set(type, (this.byType.get(type) ?? 0) + units);
    if (subject !== undefined) this.bySubject.set(subject, (this.bySubject.get(subject) ?? 0) + units);
  }
}

/** Takes `units` off a key's count, forgetting the key at zero. */
function take(counts: Map<string, number>, key: string, units: number): void {
  const left = (counts.get(key) ?? 0) - units;
  if (left > 0) counts.set(key, left);
  else counts.delete(key);
}

import { DecisionTable, type Decision, type SnapshotClaims } from './decide';
import { OwnUsage } from './own-usage';

/** How long a snapshot answers, and how stale the engine's counters in it may be (milliseconds). */
export interface ViewPolicy {
  /** S: a snapshot this old is refreshed. */
  refreshMs: number;
  /** F: past S, how long it still answers while its refresh is out; after that a question waits for one. */
  graceMs: number;
  /** C: the engine's counter cache; a snapshot fetched at T has what the engine answered before T − C. */
  stalenessMs: number;
}

/** Where a customer's snapshot stands: decide from it, decide and refresh it, or fetch one first. */
export type Standing = 'fresh' | 'refresh' | 'fetch';

/**
 * One customer as one gateway sees them: the newest verified snapshot and the usage this gateway recorded
 * that the snapshot may not include. The client and the overspend property test both decide through it,
 * so the bound is proven of the code that runs.
 */
export class CustomerView {
  #table: DecisionTable | null = null;
  #fetchedAtMs = 0;
  #expiresAtMs = 0;
  customerId: string | null = null;
  readonly own = new OwnUsage();
  /** Bumped by an invalidation: a fetch begun before it does not install what it got. */
  epoch = 0;

  constructor(readonly policy: ViewPolicy) {}

  standing(nowMs: number): Standing {
    if (!this.#table || nowMs >= this.#expiresAtMs || nowMs >= this.#table.resetsAtMs) return 'fetch';
    const age = nowMs - this.#fetchedAtMs;
    if (age >= this.policy.refreshMs + this.policy.graceMs) return 'fetch';
    return age >= this.policy.refreshMs ? 'refresh' : 'fresh';
  }

  /**
   * The decision, or null when the snapshot cannot answer (none, expired, past an allowance's reset, or
   * older than S + F). `justFetched` lets a snapshot answer that a slow fetch made older than S + F: it is
   * still the newest there is.
   */
  decide(
    nowMs: number,
    feature: string,
    quantity: number,
    inUse: number,
    justFetched = false,
    subject?: string,
  ): Decision | null {
    const standing = this.standing(nowMs);
    const table = this.#table;
    if (
      !table ||
      (standing === 'fetch' && !(justFetched && nowMs < this.#expiresAtMs && nowMs < table.resetsAtMs))
    )
      return null;
    return table.decide(feature, quantity, inUse, this.own, subject);
  }

  /** A snapshot fetched from `startedAtMs` on: decisions use it, and own usage it surely has is dropped. */
  install(claims: SnapshotClaims, startedAtMs: number, expiresAtMs: number, customerId: string | null): void {
    this.#table = new DecisionTable(claims);
    this.#fetchedAtMs = startedAtMs;
    this.#expiresAtMs = expiresAtMs;
    this.customerId = customerId;
    this.own.rebase(startedAtMs, this.policy.stalenessMs);
  }

  /**
   * With no snapshot that can ever answer again (none, or expired), the usage the engine answered for more
   * than C ago is in any snapshot fetched from now on: it need not be held. Answers whether nothing is
   * held any more, so the client may forget the customer.
   */
  forgetAnswered(nowMs: number): boolean {
    if (this.#table && nowMs < this.#expiresAtMs) return false;
    this.own.dropAnsweredBefore(nowMs - this.policy.stalenessMs);
    return this.own.size === 0;
  }

  /** The customer's access changed: nothing is decided from the old snapshot. */
  invalidate(): void {
    this.#table = null;
    this.epoch++;
  }
}

/**
 * Requests of one kind in progress in this API process, with a ceiling. Past it a request is refused at
 * once (503 `overloaded`, Retry-After) instead of queueing for the database behind the others: what is
 * already admitted finishes at its usual speed, and routes with no ceiling (check-access, the entitlements
 * check) are not kept waiting behind a flood of reports. Only idempotent routes take one (a report is
 * recorded once per event id), so the caller's retry is safe.
 */
export class InFlightLimit {
  private count = 0;

  constructor(readonly limit: number) {}

  /** Admits one more, or says no when `limit` are in progress. */
  tryEnter(): boolean {
    if (this.count >= this.limit) return false;
    this.count++;
    return true;
  }

  leave(): void {
    if (this.count > 0) this.count--;
  }

  get inProgress(): number {
    return this.count;
  }
}

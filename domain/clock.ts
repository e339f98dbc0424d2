/**
 * Where business time comes from. Services and activities read the time through a clock they are given,
 * so a test (or a replayed scenario) can set it; outside tests it is the system's.
 */
export interface Clock {
  now(): Date;
}

/** The system's time. */
export const systemClock: Clock = { now: () => new Date() };

/** The clock a dependency bag carries, or the system's when it carries none. */
export function clockOf(deps: { clock?: Clock | null }): Clock {
  return deps.clock ?? systemClock;
}

/** A clock that stands still at `at` until moved: for tests. */
export function fixedClock(at: Date): Clock & { set(to: Date): void } {
  let current = new Date(at.getTime());
  return {
    now: () => new Date(current.getTime()),
    set(to: Date) {
      current = new Date(to.getTime());
    },
  };
}

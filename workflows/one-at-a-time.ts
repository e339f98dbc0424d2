/**
 * Runs async steps one after another, in the order they asked. Updates, Stripe-driven refreshes, dunning
 * reports and timers all await Stripe and then apply what it said; interleaved, an older snapshot could
 * be applied after a newer one. A promise chain is deterministic, so replay takes the same turns.
 */
export function oneAtATime(): <T>(step: () => Promise<T>) => Promise<T> {
  let tail: Promise<unknown> = Promise.resolve();
  return <T>(step: () => Promise<T>): Promise<T> => {
    const result = tail.then(step);
    // A failed step must not block the ones queued behind it.
    tail = result.catch(() => undefined);
    return result;
  };
}

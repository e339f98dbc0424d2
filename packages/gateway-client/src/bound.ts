/**
 * How far past a blocking allowance (a daily cap, a prepaid-only plan's credits) a customer can get when G
 * gateway processes decide locally with this client.
 *
 * Gateway g lets a unit through only when the snapshot's `used`, plus what g itself recorded that the
 * snapshot may not include, leaves room for it. What g cannot know is what the other gateways recorded
 * that its snapshot does not include: an event another gateway let through at time a is flushed and
 * answered by a + B, and a snapshot fetched at T includes what the engine answered before T − C. A snapshot
 * answers until it is S old, then for F more while its refresh is out (or, when a question waited for the
 * fetch, for as long as that fetch took); so the one in use at time t was fetched at T ≥ t − S − F, and g misses only the
 * units the others let through in the window (t − W, t], W = S + F + B + C. If each gateway lets through at
 * most ρ units a second with bursts of at most q units, the others let through at most ρ·W + q each in any
 * such window, and every decision is exact but for them:
 *
 *     overspend ≤ (G − 1) · (ρ · W + q)
 *
 * One gateway alone (G = 1) never overspends. The bound holds while the engine answers reports within B;
 * a gateway cut off from the engine keeps counting its own units and refuses once its snapshot expires.
 */
export interface BoundInputs {
  /** G: gateway processes deciding for the customer. */
  gateways: number;
  /** ρ: the most units one gateway lets through a second for the customer. */
  unitsPerSecondPerGateway: number;
  /** q: the largest quantity of one event. */
  maxQuantity: number;
  /** S: a snapshot's age before it is refreshed. */
  refreshSeconds: number;
  /** F: the grace past S (1 s by default), or the longest fetch a question waited for, whichever is longer. */
  fetchSeconds: number;
  /** B: the longest from recording an event to the engine's answer for it (flush interval and round trip). */
  reportSeconds: number;
  /** C: how stale the engine's own counters may be in a snapshot (its counter cache: 1 s). */
  engineStalenessSeconds: number;
}

/** W: the window of other gateways' usage a decision may not see. */
export const blindWindowSeconds = (p: BoundInputs): number =>
  p.refreshSeconds + p.fetchSeconds + p.reportSeconds + p.engineStalenessSeconds;

/** The most units past a blocking allowance the customer can be let through (the formula above). */
export function overspendBound(p: BoundInputs): number {
  if (p.gateways <= 1) return 0;
  return (p.gateways - 1) * (p.unitsPerSecondPerGateway * blindWindowSeconds(p) + p.maxQuantity);
}

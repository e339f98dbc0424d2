/**
 * Prepaid credits as a ledger (issue 29): grants put credits in, movements take them out, and a balance is
 * only ever the sum of the two. Nothing here stores a balance; every figure is recomputed from the entries,
 * so a balance the ledger does not explain cannot exist. Credits are integers (one unit of usage is one
 * credit until per-type rates land).
 */
export type GrantSource = 'included' | 'purchase' | 'promotion' | 'admin' | 'refund';

export interface CreditGrant {
  id: string;
  /** Credits granted, a positive integer. */
  amount: number;
  source: GrantSource;
  /** Lower is drawn first among grants of the same standing (the period's included credits go before all). */
  priority: number;
  effectiveAt: Date;
  /** Null: never expires. */
  expiresAt: Date | null;
  createdAt: Date;
}

export type MovementKind = 'draw' | 'expiry' | 'void';

export interface CreditMovement {
  grantId: string;
  kind: MovementKind;
  /** Credits taken out of the grant, a positive integer. */
  amount: number;
  at: Date;
}

/** Credits left on each grant: its amount less everything moved out of it, whatever its dates. */
export function remainingByGrant(
  grants: readonly CreditGrant[],
  movements: readonly CreditMovement[],
): Map<string, number> {
  const left = new Map(grants.map((g) => [g.id, g.amount]));
  for (const m of movements) {
    const before = left.get(m.grantId);
    if (before === undefined) throw new RangeError(`movement of unknown grant ${m.grantId}`);
    left.set(m.grantId, before - m.amount);
  }
  return left;
}

/** A grant counts at `at` from its effective date until (not at) its expiry. */
export function isLive(grant: CreditGrant, at: Date): boolean {
  return grant.effectiveAt <= at && (grant.expiresAt === null || at < grant.expiresAt);
}

/** The balance at `at`: what is left on the grants live then. */
export function creditBalance(
  grants: readonly CreditGrant[],
  movements: readonly CreditMovement[],
  at: Date,
): number {
  const left = remainingByGrant(grants, movements);
  return grants.filter((g) => isLive(g, at)).reduce((sum, g) => sum + Math.max(0, left.get(g.id) ?? 0), 0);
}

/**
 * The order credits are drawn in: the period's included credits first, then by priority, then the one
 * that expires soonest (a grant that never expires last), then the oldest, then by id so the order is total.
 */
export function drawOrder(a: CreditGrant, b: CreditGrant): number {
  const standing = (g: CreditGrant) => (g.source === 'included' ? 0 : 1);
  return (
    standing(a) - standing(b) ||
    a.priority - b.priority ||
    (a.expiresAt?.getTime() ?? Infinity) - (b.expiresAt?.getTime() ?? Infinity) ||
    a.createdAt.getTime() - b.createdAt.getTime() ||
    (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)
  );
}

/**
 * Draws `units` credits at `at`: the movements to append, in draw order, and the units no live grant
 * covered (billed as overage or refused, as the customer's cap says). Never draws a grant below zero.
 */
export function drawCredits(
  grants: readonly CreditGrant[],
  movements: readonly CreditMovement[],
  units: number,
  at: Date,
): { draws: CreditMovement[]; uncovered: number } {
  if (!Number.isSafeInteger(units) || units < 0) throw new RangeError('units must be a non-negative integer');
  const left = remainingByGrant(grants, movements);
  const draws: CreditMovement[] = [];
  let wanted = units;
  for (const grant of [...grants].filter((g) => isLive(g, at)).sort(drawOrder)) {
    if (wanted === 0) break;
    const take = Math.min(wanted, Math.max(0, left.get(grant.id) ?? 0));
    if (take === 0) continue;
    draws.push({ grantId: grant.id, kind: 'draw', amount: take, at });
    wanted -= take;
  }
  return { draws, uncovered: wanted };
}

/** The expiry movements due at `at`: what is left on each grant whose expiry has come. */
export function expireCredits(
  grants: readonly CreditGrant[],
  movements: readonly CreditMovement[],
  at: Date,
): CreditMovement[] {
  const left = remainingByGrant(grants, movements);
  return grants
    .filter((g) => g.expiresAt !== null && g.expiresAt <= at && (left.get(g.id) ?? 0) > 0)
    .map((g) => ({ grantId: g.id, kind: 'expiry' as const, amount: left.get(g.id) as number, at }));
}

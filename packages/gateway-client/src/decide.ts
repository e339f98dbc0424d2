/**
 * The local decision: may this customer use `quantity` more of a feature, from a verified snapshot and the
 * usage this gateway recorded that the snapshot may not include yet. It answers as the engine's own check
 * does (`POST /entitlements/check`), with the same reasons, so a gateway can switch between the two.
 */

/** One entitlement as the snapshot carries it (the engine's `GET /entitlements` item). */
export interface EntitlementClaim {
  feature: string;
  kind: 'boolean' | 'limit' | 'metered';
  /** Of a metered allowance: the usage type counted, `*` for every one. */
  usage_type?: string;
  per?: 'day' | 'period';
  overage?: 'block' | 'bill';
  allowed: boolean;
  reason: string;
  /** The limit or allowance; null for a feature that is on, or unlimited. */
  limit: number | null;
  used: number | null;
  remaining: number | null;
  resets_at: string | null;
}

/** A budget inside the account (a project, key or end user) as the snapshot carries it. */
export interface BudgetClaim {
  subject: string;
  per: 'day' | 'period';
  limit: number;
  used: number;
  remaining: number;
  resets_at: string;
}

/**
 * The period's seat credits as the snapshot carries them: a seat pays its holder's usage of `feature` (the
 * included credits) before the account does. The first subjects to use them take the seats, one each.
 */
export interface SeatCreditsClaim {
  feature: string;
  per_seat: number;
  seats: number;
  holders: { subject: string; used: number }[];
}

export interface SnapshotClaims {
  tier: string | null;
  status: string;
  entitlements: EntitlementClaim[];
  /** Absent from an engine older than budgets: then no subject is refused here (the engine still refuses). */
  budgets?: BudgetClaim[];
  /** Absent or null: no seat carries credits (or an engine older than them: a holder may be refused here). */
  seat_credits?: SeatCreditsClaim | null;
}

export interface Decision {
  allowed: boolean;
  /** `ok`, `overage_billed`, `no_subscription`, `subscription_<status>`, `feature_not_in_plan`, `limit_exceeded`, `allowance_exhausted`, `budget_reached`. */
  reason: string;
  limit: number | null;
  /** What is left after what this gateway counted since the snapshot; null when nothing counts down. */
  remaining: number | null;
}

/** Units a gateway recorded that a snapshot may not include: by usage type, by subject, and in all. */
export interface Unincluded {
  total: number;
  byType: ReadonlyMap<string, number>;
  bySubject?: ReadonlyMap<string, number>;
}

const GRANTING = new Set(['trialing', 'active', 'past_due']);

const NONE: Unincluded = { total: 0, byType: new Map() };

/** A snapshot's claims made ready to decide from: entitlements by feature, the status refusal once. */
export class DecisionTable {
  readonly #byFeature = new Map<string, EntitlementClaim>();
  readonly #budgets = new Map<string, BudgetClaim>();
  readonly #seats: { claim: SeatCreditsClaim; used: Map<string, number> } | null;
  /** The reason every question is refused with, when the subscription grants no access. */
  readonly #refusal: string | null;
  /** The earliest time an allowance starts again: the snapshot says nothing true after it. */
  readonly resetsAtMs: number;

  constructor(claims: SnapshotClaims) {
    let refusal: string | null = null;
    let resets = Infinity;
    for (const e of claims.entitlements) {
      this.#byFeature.set(e.feature, e);
      if (e.reason === 'no_subscription' || e.reason.startsWith('subscription_')) refusal = e.reason;
      if (e.kind === 'metered' && e.resets_at) resets = Math.min(resets, Date.parse(e.resets_at));
    }
    for (const b of claims.budgets ?? []) {
      this.#budgets.set(b.subject, b);
      resets = Math.min(resets, Date.parse(b.resets_at));
    }
    // With nothing listed, the status alone says whether access is refused (the engine's granting statuses).
    if (claims.entitlements.length === 0 && !GRANTING.has(claims.status))
      refusal = claims.status === 'none' ? 'no_subscription' : `subscription_${claims.status}`;
    this.#refusal = refusal;
    this.resetsAtMs = resets;
    const seats = claims.seat_credits;
    this.#seats = seats
      ? { claim: seats, used: new Map(seats.holders.map((h) => [h.subject, h.used])) }
      : null;
  }

  /**
   * The account's decision, and then, for a `subject` with a budget, the budget's: a subject is refused
   * `budget_reached` when its quantity would take it past its limit, as the engine's report refuses it,
   * even where the account would be allowed.
   */
  decide(
    feature: string,
    quantity: number,
    inUse: number,
    unincluded: Unincluded = NONE,
    subject?: string,
  ): Decision {
    const account = this.#withSeat(
      this.#decideAccount(feature, quantity, inUse, unincluded),
      feature,
      quantity,
      unincluded,
      subject,
    );
    const budget = subject === undefined ? undefined : this.#budgets.get(subject);
    if (!account.allowed || !budget) return account;
    const used = budget.used + (unincluded.bySubject?.get(budget.subject) ?? 0);
    const remaining = Math.max(0, budget.limit - used);
    if (quantity <= remaining) return account;
    return { allowed: false, reason: 'budget_reached', limit: budget.limit, remaining };
  }

  /**
   * An allowance the account has spent may still be paid by the subject's seat: the engine draws the seat
   * first and the account for the rest (domain/credit-usage.ts drawUsage). Counted here with care: this
   * gateway's own units of the subject count against both its seat and the account, and subjects it saw
   * that hold no seat in the snapshot may have taken the free ones.
   */
  #withSeat(
    account: Decision,
    feature: string,
    quantity: number,
    unincluded: Unincluded,
    subject: string | undefined,
  ): Decision {
    const seats = this.#seats;
    if (account.allowed || account.reason !== 'allowance_exhausted' || subject === undefined) return account;
    if (!seats || seats.claim.feature !== feature) return account;
    const own = unincluded.bySubject ?? new Map<string, number>();
    const held = seats.used.get(subject);
    if (held === undefined) {
      const newcomers = [...own.keys()].filter((s) => s !== subject && !seats.used.has(s)).length;
      if (seats.used.size + newcomers >= seats.claim.seats) return account;
    }
    const seatLeft = Math.max(0, seats.claim.per_seat - (held ?? 0) - (own.get(subject) ?? 0));
    if (quantity > seatLeft + (account.remaining ?? 0)) return account;
    return { ...account, allowed: true, reason: 'ok' };
  }

  #decideAccount(feature: string, quantity: number, inUse: number, unincluded: Unincluded): Decision {
    if (this.#refusal) return { allowed: false, reason: this.#refusal, limit: null, remaining: null };
    const e = this.#byFeature.get(feature);
    if (!e) return { allowed: false, reason: 'feature_not_in_plan', limit: null, remaining: null };
    if (e.kind === 'boolean' || e.limit === null)
      return { allowed: true, reason: 'ok', limit: e.limit, remaining: null };
    const used =
      e.kind === 'limit'
        ? Math.max(0, inUse)
        : (e.used ?? 0) +
          (e.usage_type === '*' ? unincluded.total : (unincluded.byType.get(e.usage_type ?? '') ?? 0));
    const remaining = Math.max(0, e.limit - used);
    if (quantity <= remaining) return { allowed: true, reason: 'ok', limit: e.limit, remaining };
    if (e.kind === 'limit') return { allowed: false, reason: 'limit_exceeded', limit: e.limit, remaining };
    return e.overage === 'bill'
      ? { allowed: true, reason: 'overage_billed', limit: e.limit, remaining }
      : { allowed: false, reason: 'allowance_exhausted', limit: e.limit, remaining };
  }
}

/**
 * Entitlements: what a plan version lets its subscribers use, and how much. Three kinds: a feature that is
 * on (`chat`, `byok`, `priority-support`), a numeric limit (seats, projects), and a metered allowance (an
 * amount of usage per UTC day or per billing period that either blocks or bills overage). The shipped
 * catalog's services, daily call caps and included credits are entitlements of a plan with no change in
 * what check-access answers (accessTermsOf); admins add per-customer overrides with an expiry.
 */
import { grantsAccess, type SubscriptionStatus } from './subscription-status';
import { utcDay } from './usage';

export type Entitlement =
  | { feature: string; kind: 'boolean' }
  /** `limit` null: unlimited. */
  | { feature: string; kind: 'limit'; limit: number | null }
  | {
      feature: string;
      kind: 'metered';
      /** The usage type counted; `*` for every usage event. */
      usageType: string;
      /** Null: unlimited. */
      amount: number | null;
      per: 'day' | 'period';
      /** What happens past the amount: refused, or allowed and billed as overage. */
      overage: 'block' | 'bill';
    };

/** The API calls a customer may make a UTC day, every usage type counted (the plan's daily cap). */
export const DAILY_CALLS = 'api_calls';
/** The usage a billing period includes before overage (the plan's included credits). */
export const INCLUDED_CREDITS = 'credits';

/** What a plan version stores that entitlements are derived from. */
export interface PlanEntitlementSource {
  services: readonly string[];
  dailyApiCalls: number | null;
  includedCredits: number;
  prepaidOnly: boolean;
  /** Explicit entitlements; one of a feature the fields above also give replaces that one. */
  entitlements?: readonly Entitlement[] | null;
}

/** The largest limit or amount: beyond it sums of usage could lose precision. */
export const MAX_ENTITLEMENT_AMOUNT = 1_000_000_000_000;
const FEATURE = /^[a-z0-9][a-z0-9_.-]{0,63}$/;
const USAGE_TYPE = /^(\*|[a-z0-9][a-z0-9_.-]{0,63})$/;

/**
 * A plan version's entitlements, by feature, in a stable order: its services as features, the daily cap
 * as `api_calls` (per day, blocking; unlimited without a cap), the included credits as `credits` (per
 * period, billing overage, or blocking on a prepaid-only plan), then its explicit ones.
 */
export function planEntitlements(plan: PlanEntitlementSource): Entitlement[] {
  const derived: Entitlement[] = [
    ...plan.services.map((feature): Entitlement => ({ feature, kind: 'boolean' })),
    {
      feature: DAILY_CALLS,
      kind: 'metered',
      usageType: '*',
      amount: plan.dailyApiCalls,
      per: 'day',
      overage: 'block',
    },
    {
      feature: INCLUDED_CREDITS,
      kind: 'metered',
      usageType: '*',
      amount: plan.includedCredits,
      per: 'period',
      overage: plan.prepaidOnly ? 'block' : 'bill',
    },
  ];
  const explicit = plan.entitlements ?? [];
  const replaced = new Set(explicit.map((e) => e.feature));
  return [...derived.filter((e) => !replaced.has(e.feature)), ...explicit];
}

export interface EntitlementRefusal {
  code: 'entitlement_invalid';
  field: string;
  message: string;
}

const amountOk = (n: unknown) =>
  n === null || (Number.isSafeInteger(n) && (n as number) >= 0 && (n as number) <= MAX_ENTITLEMENT_AMOUNT);

/** Why an explicit entitlement cannot be stored, naming the field, or null. */
export function entitlementRefusal(e: Entitlement): EntitlementRefusal | null {
  const refuse = (field: string, message: string): EntitlementRefusal => ({
    code: 'entitlement_invalid',
    field,
    message: `${field}: ${message}`,
  });
  if (typeof e.feature !== 'string' || !FEATURE.test(e.feature))
    return refuse('feature', 'lowercase letters, digits, _ . - (1 to 64), starting with a letter or digit');
  switch (e.kind) {
    case 'boolean':
      return null;
    case 'limit':
      return amountOk(e.limit)
        ? null
        : refuse('limit', `a whole number from 0 to ${MAX_ENTITLEMENT_AMOUNT}, or null`);
    case 'metered':
      if (typeof e.usageType !== 'string' || !USAGE_TYPE.test(e.usageType))
        return refuse('usage_type', 'a usage type, or * for every one');
      if (!amountOk(e.amount))
        return refuse('amount', `a whole number from 0 to ${MAX_ENTITLEMENT_AMOUNT}, or null`);
      if (e.per !== 'day' && e.per !== 'period') return refuse('per', 'day or period');
      if (e.overage !== 'block' && e.overage !== 'bill') return refuse('overage', 'block or bill');
      return null;
    default:
      return refuse('kind', 'boolean, limit or metered');
  }
}

/** An admin's change to one customer's entitlement, for a while or for good. */
export interface EntitlementOverride {
  feature: string;
  /** true: the feature on (added as a feature if the plan lacks it); false: taken away. */
  grant?: boolean;
  /** A numeric limit's new value (added as a limit if the plan lacks it). */
  limit?: number | null;
  /** A metered allowance's new amount. */
  amount?: number | null;
  /** Null: until an admin removes it. */
  expiresAt: Date | null;
  /** The newest in force wins when two name one feature. */
  createdAt: Date;
}

/** Why an override cannot be made against a plan's entitlements, naming the field, or null. */
export function overrideRefusal(
  o: Pick<EntitlementOverride, 'feature' | 'grant' | 'limit' | 'amount' | 'expiresAt'>,
  plan: readonly Entitlement[],
  now: Date,
): EntitlementRefusal | null {
  const refuse = (field: string, message: string): EntitlementRefusal => ({
    code: 'entitlement_invalid',
    field,
    message: `${field}: ${message}`,
  });
  if (!FEATURE.test(o.feature)) return refuse('feature', 'lowercase letters, digits, _ . - (1 to 64)');
  const given = [o.grant !== undefined, o.limit !== undefined, o.amount !== undefined].filter(Boolean).length;
  if (given !== 1) return refuse('grant', 'exactly one of grant, limit and amount');
  if (o.limit !== undefined && !amountOk(o.limit))
    return refuse('limit', 'a whole number, or null for unlimited');
  if (o.amount !== undefined) {
    if (!amountOk(o.amount)) return refuse('amount', 'a whole number, or null for unlimited');
    const target = plan.find((e) => e.feature === o.feature);
    if (target?.kind !== 'metered')
      return refuse('amount', `${o.feature} is not a metered allowance of the plan`);
  }
  if (o.expiresAt !== null && o.expiresAt.getTime() <= now.getTime())
    return refuse('expires_at', 'a time in the future, or none');
  return null;
}

/**
 * A customer's entitlements now: the plan's, changed by the overrides still in force, newest last so it
 * wins. Taking a feature away removes it; granting one the plan lacks adds it.
 */
export function applyOverrides(
  plan: readonly Entitlement[],
  overrides: readonly EntitlementOverride[],
  now: Date,
): Entitlement[] {
  const byFeature = new Map<string, Entitlement>(plan.map((e) => [e.feature, e]));
  const live = overrides
    .filter((o) => o.expiresAt === null || o.expiresAt.getTime() > now.getTime())
    .sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime());
  for (const o of live) {
    const current = byFeature.get(o.feature);
    if (o.grant === false) byFeature.delete(o.feature);
    else if (o.grant === true) {
      if (!current) byFeature.set(o.feature, { feature: o.feature, kind: 'boolean' });
    } else if (o.limit !== undefined) {
      byFeature.set(o.feature, { feature: o.feature, kind: 'limit', limit: o.limit });
    } else if (o.amount !== undefined && current?.kind === 'metered') {
      byFeature.set(o.feature, { ...current, amount: o.amount });
    }
  }
  return [...byFeature.values()];
}

/**
 * What check-access decides from (domain/access.ts): the features that are on, and the daily call cap.
 * For a catalog plan without overrides this is exactly its services and dailyApiCalls, so check-access
 * answers as the seeds define it; an override changes the answer as it changes the entitlement.
 */
export function accessTermsOf(effective: readonly Entitlement[]): {
  planServices: string[];
  dailyApiCalls: number | null;
} {
  const calls = effective.find((e) => e.feature === DAILY_CALLS);
  return {
    planServices: effective.filter((e) => e.kind === 'boolean').map((e) => e.feature),
    dailyApiCalls: calls?.kind === 'metered' && calls.overage === 'block' ? calls.amount : null,
  };
}

export type EntitlementReason =
  | 'ok'
  | 'overage_billed'
  | 'no_subscription'
  | `subscription_${SubscriptionStatus}`
  | 'feature_not_in_plan'
  | 'limit_exceeded'
  | 'allowance_exhausted';

export interface EntitlementCheck {
  allowed: boolean;
  reason: EntitlementReason;
  /** The limit or amount; null for a feature that is on, or unlimited. */
  limit: number | null;
  /** What is used of it (the caller's count for a limit, usage for an allowance); null for a feature. */
  used: number | null;
  /** Never below zero; null when nothing counts down. */
  remaining: number | null;
  /** When a per-day or per-period allowance starts again. */
  resetsAt: Date | null;
}

export interface CheckContext {
  /** The subscription's status; null without one. */
  status: SubscriptionStatus | null;
  /** How much the caller wants to use now (a positive whole number; 1 by default). */
  quantity: number;
  /** Used so far: of a limit, what the caller says it has in use; of an allowance, usage this day or period. */
  used: number;
  now: Date;
  /** The end of the open billing period (a per-period allowance resets then). */
  periodEnd: Date | null;
}

const refused = (reason: EntitlementReason): EntitlementCheck => ({
  allowed: false,
  reason,
  limit: null,
  used: null,
  remaining: null,
  resetsAt: null,
});

/**
 * May the customer use `quantity` more of `feature` now. Only with a subscription that grants access, and a
 * feature they are entitled to; a limit or a blocking allowance allows while `used + quantity` stays
 * within it; a billing allowance always allows, saying when the quantity goes into overage.
 */
export function checkEntitlement(
  effective: readonly Entitlement[],
  feature: string,
  ctx: CheckContext,
): EntitlementCheck {
  if (ctx.status === null) return refused('no_subscription');
  if (!grantsAccess(ctx.status)) return refused(`subscription_${ctx.status}`);
  const e = effective.find((x) => x.feature === feature);
  if (!e) return refused('feature_not_in_plan');
  if (e.kind === 'boolean')
    return { allowed: true, reason: 'ok', limit: null, used: null, remaining: null, resetsAt: null };
  const used = Math.max(0, ctx.used);
  const cap = e.kind === 'limit' ? e.limit : e.amount;
  const resetsAt = e.kind === 'metered' ? (e.per === 'day' ? utcDay(ctx.now).resetsAt : ctx.periodEnd) : null;
  if (cap === null) return { allowed: true, reason: 'ok', limit: null, used, remaining: null, resetsAt };
  const remaining = Math.max(0, cap - used);
  const fits = ctx.quantity <= remaining;
  const base = { limit: cap, used, remaining, resetsAt };
  if (fits) return { allowed: true, reason: 'ok', ...base };
  if (e.kind === 'limit') return { allowed: false, reason: 'limit_exceeded', ...base };
  return e.overage === 'bill'
    ? { allowed: true, reason: 'overage_billed', ...base }
    : { allowed: false, reason: 'allowance_exhausted', ...base };
}

export type EntitlementChange =
  | { feature: string; change: 'gained'; after: Entitlement }
  | { feature: string; change: 'lost'; before: Entitlement }
  | { feature: string; change: 'raised' | 'lowered' | 'changed'; before: Entitlement; after: Entitlement };

const capOf = (e: Entitlement): number | null | undefined =>
  e.kind === 'limit' ? e.limit : e.kind === 'metered' ? e.amount : undefined;

/**
 * How a customer's entitlements differ between two sets (a plan version and the next, each with the
 * customer's overrides applied): features gained and lost, limits and allowances raised or lowered
 * (unlimited is the highest), and any other change of terms. Unchanged features are left out.
 */
export function entitlementChanges(
  before: readonly Entitlement[],
  after: readonly Entitlement[],
): EntitlementChange[] {
  const out: EntitlementChange[] = [];
  const old = new Map(before.map((e) => [e.feature, e]));
  const now = new Map(after.map((e) => [e.feature, e]));
  for (const [feature, b] of old) {
    const a = now.get(feature);
    if (!a) out.push({ feature, change: 'lost', before: b });
    else if (JSON.stringify(a) !== JSON.stringify(b)) {
      const [x, y] = [capOf(b), capOf(a)];
      const sameTerms =
        b.kind === a.kind &&
        JSON.stringify({ ...b, limit: 0, amount: 0 }) === JSON.stringify({ ...a, limit: 0, amount: 0 });
      const change =
        sameTerms && x !== undefined && y !== undefined && x !== y
          ? y === null || (x !== null && y > x)
            ? 'raised'
            : 'lowered'
          : 'changed';
      out.push({ feature, change, before: b, after: a });
    }
  }
  for (const [feature, a] of now) if (!old.has(feature)) out.push({ feature, change: 'gained', after: a });
  return out.sort((p, q) => (p.feature < q.feature ? -1 : p.feature > q.feature ? 1 : 0));
}

import type { EntityManager } from '@mikro-orm/core';
import { Plan, Subscription } from '../../db/entities';
import { AppError, conflict, notFound } from '../../domain/errors';
import { registeredCode } from '../../domain/error-codes';
import { FINAL_STATUSES } from '../../domain/subscription-status';
import type { Identity } from '../../domain/identity';
import { planAuditImage } from './audit-image';
import { entitlementRefusal, type Entitlement } from '../../domain/entitlements';
import { recordAudit } from '../../db/audit';
import { checkMarginFloor, type PublishedCard, type Publishing } from '../model-costs/margin-floor';
import type { RateLine } from '../../domain/rate-card';
import { currencyPriceRefusal, withCurrencyPrices } from '../../domain/currency/plan-price-changes';
import type { CurrencyTerms } from '../../domain/currency/plan-terms';
import { prepaidOnlyRefusal } from '../../domain/credit-usage';
import { trialWithoutCardRefusal, type TrialWithoutCard } from '../../domain/trial';
import { billingAnchorRefusal, type BillingAnchor } from '../../domain/billing-anchor';
import {
  sameSeatTerms,
  seatTermsOf,
  seatTermsProblem,
  seatTiersProblem,
  type SeatTerms,
} from '../../domain/seats';

export interface PlanChanges {
  name?: string;
  displayName?: string;
  description?: string | null;
  priceMonthlyCents?: number;
  priceYearlyCents?: number | null;
  trialDays?: number;
  /** Trials without a card and their end without one (domain/trial.ts); null asks for a card. */
  trialWithoutCard?: TrialWithoutCard | null;
  /** Its subscribers' default anchor (domain/billing-anchor.ts); existing subscriptions keep theirs. */
  billingAnchor?: BillingAnchor;
  /** Priced per seat within this range (domain/seats.ts); null: one unit. */
  seats?: SeatTerms | null;
  services?: string[];
  features?: string[];
  includedCredits?: number;
  overagePer1kCents?: number;
  dailyApiCalls?: number | null;
  pausable?: boolean;
  /** Usage credits cannot pay is refused (`credits_exhausted`), never billed (domain/credit-usage.ts). */
  prepaidOnly?: boolean;
  /** Explicit entitlements (domain/entitlements.ts), beyond those the fields above give. */
  entitlements?: Entitlement[];
  /** Usage prices by type and dimension (domain/rate-card.ts), checked by the API's schema. */
  rateCard?: RateLine[];
  /** Its terms in other currencies, replacing those it had (domain/currency/plan-price-changes.ts). */
  currencyPrices?: Record<string, CurrencyTerms>;
}

/** Refuses prices in another currency that do not match the plan's own terms, naming the entry at fault. */
function checkCurrencyPrices(plan: Plan): void {
  for (const [currency, p] of Object.entries(plan.currencyPrices)) {
    const refusal = currencyPriceRefusal(plan, currency, p);
    if (refusal)
      throw new AppError('invalid', registeredCode(refusal.code), refusal.message, {
        field: `currency_prices.${refusal.field}`,
      });
  }
}

/** Refuses a prepaid-only plan with anything that would bill usage after the fact, naming the field. */
function checkPrepaidOnly(plan: Plan): void {
  const refusal = prepaidOnlyRefusal(plan);
  if (refusal) throw new AppError('invalid', refusal.code, refusal.message, { field: refusal.field });
}

/** Refuses trials without a card on a plan that has no trial or takes a price at signup. */
function checkTrialWithoutCard(plan: Plan): void {
  const refusal = trialWithoutCardRefusal(plan);
  if (refusal) throw new AppError('invalid', 'trial_needs_card', refusal.message, { field: refusal.field });
}

/** Refuses calendar billing where the plan's trial would restart the cycle off the 1st. */
function checkBillingAnchor(plan: Plan): void {
  const message = billingAnchorRefusal(plan);
  if (message) throw new AppError('invalid', 'anchor_not_supported', message, { field: 'billing_anchor' });
}

/** Refuses a seat range that cannot be sold, naming the field. */
function checkSeats(plan: Plan): void {
  const problem = seatTermsProblem(seatTermsOf(plan));
  if (problem) throw new AppError('invalid', 'seats_invalid', problem, { field: 'seats' });
  const tiers = seatTiersProblem(seatTermsOf(plan));
  if (tiers) throw new AppError('invalid', 'seats_invalid', tiers.message, { field: tiers.field });
}

/** Refuses an explicit entitlement whose terms are wrong, naming the field in the list. */
function checkEntitlements(list: Entitlement[] | undefined): void {
  for (const [i, e] of (list ?? []).entries()) {
    const refusal = entitlementRefusal(e);
    if (refusal)
      throw new AppError('invalid', refusal.code, refusal.message, {
        field: `entitlements.${i}.${refusal.field}`,
      });
  }
}

/** Changes that alter what a subscriber pays or gets; only these make a new version for grandfathering. */
const TERMS: Exclude<keyof PlanChanges, 'seats'>[] = [
  'priceMonthlyCents',
  'priceYearlyCents',
  'trialDays',
  'services',
  'includedCredits',
  'overagePer1kCents',
  'dailyApiCalls',
  'prepaidOnly',
  'entitlements',
  'rateCard',
  'currencyPrices',
];

function audit(
  em: EntityManager,
  actor: Identity,
  action: string,
  entityId: string,
  before: unknown,
  after: unknown,
) {
  recordAudit(em, {
    actor: actor,
    action,
    entityType: 'plan',
    entityId,
    before: before ?? null,
    after: after ?? null,
  });
}

export async function createPlan(
  em: EntityManager,
  actor: Identity,
  code: string,
  c: Required<Pick<PlanChanges, 'displayName' | 'priceMonthlyCents'>> & PlanChanges,
  /** From the API: the margin floor is held (a tool or a test seeding plans passes none). */
  publishing?: Publishing,
) {
  checkEntitlements(c.entitlements);
  if (await em.count(Plan, { code }))
    throw conflict('plan_exists', `A plan "${code}" already exists`, { field: 'code' });
  const [last] = await em.find(Plan, {}, { orderBy: { sortOrder: 'desc' }, limit: 1 });
  const plan = em.create(Plan, {
    id: `plan_${code}_v1`,
    code,
    version: 1,
    name: c.name ?? code,
    displayName: c.displayName,
    description: c.description ?? null,
    priceMonthlyCents: c.priceMonthlyCents,
    priceYearlyCents: c.priceYearlyCents ?? null,
    trialDays: c.trialDays ?? 0,
    trialWithoutCard: c.trialWithoutCard ?? null,
    billingAnchor: c.billingAnchor ?? 'anniversary',
    seatMin: c.seats?.min ?? null,
    seatMax: c.seats?.max ?? null,
    seatTiers: c.seats?.tiers ?? null,
    seatCredits: c.seats?.creditsPerSeat ?? 0,
    services: c.services ?? [],
    features: c.features ?? [],
    includedCredits: c.includedCredits ?? 0,
    overagePer1kCents: c.overagePer1kCents ?? 0,
    dailyApiCalls: c.dailyApiCalls ?? null,
    pausable: c.pausable ?? false,
    prepaidOnly: c.prepaidOnly ?? false,
    entitlements: c.entitlements ?? [],
    rateCard: c.rateCard ?? [],
    currencyPrices: withCurrencyPrices({}, c.currencyPrices ?? {}),
    sortOrder: (last?.sortOrder ?? 0) + 1,
  });
  checkCurrencyPrices(plan);
  checkPrepaidOnly(plan);
  checkTrialWithoutCard(plan);
  checkBillingAnchor(plan);
  checkSeats(plan);
  if (publishing) await checkMarginFloor(em, actor, code, publishedCards(plan), publishing);
  audit(em, actor, 'plan.create', code, null, planAuditImage(plan));
  await em.flush();
  return plan;
}

/**
 * A plan version's rate cards as the margin floor judges them: its own in its currency, then each of its
 * other currencies' (each line unchanged from `before`'s card of that currency is not judged again).
 */
function publishedCards(plan: Plan, before: readonly PublishedCard[] = []): PublishedCard[] {
  const was = (field: string) => before.find((b) => b.field === field)?.card ?? [];
  return [
    { currency: plan.currency, card: [...plan.rateCard], field: 'rate_card', published: was('rate_card') },
    ...Object.entries(plan.currencyPrices).map(([currency, p]) => {
      const field = `currency_prices.${currency}.rate_card`;
      return { currency, card: [...(p.rateCard ?? [])], field, published: was(field) };
    }),
  ];
}

/**
 * Applies a change to a plan. When the current version has subscribers and the change touches their
 * terms, a new version becomes current and the subscribers keep theirs (grandfathered) until migrated.
 */
export async function updatePlan(
  em: EntityManager,
  actor: Identity,
  code: string,
  c: PlanChanges,
  publishing?: Publishing,
) {
  checkEntitlements(c.entitlements);
  const current = await em.findOne(Plan, { code, isCurrent: true });
  if (!current) throw notFound('plan', code);
  if (current.status === 'archived') throw conflict('plan_archived', `Plan "${code}" is archived`);
  const subscribers = await em.count(Subscription, {
    plan: current,
    status: { $nin: [...FINAL_STATUSES] },
  });
  // Seats are terms too: per seat or per unit, and how many, is what a subscriber pays.
  const touchesTerms =
    TERMS.some((k) => c[k] !== undefined && JSON.stringify(c[k]) !== JSON.stringify(current[k])) ||
    (c.seats !== undefined && !sameSeatTerms(c.seats, seatTermsOf(current)));
  const before = planAuditImage(current);
  const cardsBefore = publishedCards(current);
  // What the Stripe prices were made for, read before the change may write onto this same version.
  const was = {
    priceMonthlyCents: current.priceMonthlyCents,
    priceYearlyCents: current.priceYearlyCents ?? null,
    includedCredits: current.includedCredits,
    overagePer1kCents: current.overagePer1kCents,
    seatTiers: JSON.stringify(current.seatTiers ?? null),
  };
  let target = current;
  if (subscribers > 0 && touchesTerms) {
    current.isCurrent = false;
    target = em.create(Plan, {
      ...copyOf(current),
      id: `plan_${code}_v${current.version + 1}`,
      version: current.version + 1,
      isCurrent: true,
      stripePriceMonthlyId: null,
      stripePriceYearlyId: null,
      stripeUsagePriceMonthlyId: null,
      stripeUsagePriceYearlyId: null,
      // A new version gets new Stripe prices in every currency, as in its own.
      currencyPrices: withCurrencyPrices({}, current.currencyPrices),
    });
  }
  const { currencyPrices, seats, ...rest } = c;
  for (const [k, v] of Object.entries(rest))
    if (v !== undefined) (target as unknown as Record<string, unknown>)[k] = v;
  if (seats !== undefined) {
    target.seatMin = seats?.min ?? null;
    target.seatMax = seats?.max ?? null;
    target.seatTiers = seats?.tiers ?? null;
    target.seatCredits = seats?.creditsPerSeat ?? 0;
  }
  if (currencyPrices) target.currencyPrices = withCurrencyPrices(target.currencyPrices, currencyPrices);
  checkCurrencyPrices(target);
  checkPrepaidOnly(target);
  checkTrialWithoutCard(target);
  checkBillingAnchor(target);
  checkSeats(target);
  // Only a card sent is judged: a later cost or floor never blocks an unrelated edit.
  if (publishing && (c.rateCard !== undefined || currencyPrices !== undefined))
    await checkMarginFloor(em, actor, code, publishedCards(target, cardsBefore), publishing);
  if (JSON.stringify(target.seatTiers ?? null) !== was.seatTiers) {
    // The plan's prices carry the tiers, in every currency: new tiers need new prices before a sale.
    target.stripePriceMonthlyId = null;
    target.stripePriceYearlyId = null;
    target.currencyPrices = Object.fromEntries(
      Object.entries(target.currencyPrices).map(([c, p]) => [
        c,
        { ...p, stripePriceMonthlyId: null, stripePriceYearlyId: null },
      ]),
    );
  }
  if (target.priceMonthlyCents !== was.priceMonthlyCents) target.stripePriceMonthlyId = null;
  if ((target.priceYearlyCents ?? null) !== was.priceYearlyCents) target.stripePriceYearlyId = null;
  if (target.includedCredits !== was.includedCredits || target.overagePer1kCents !== was.overagePer1kCents) {
    // The metered prices carry the included credits and the overage rate: new terms need new prices.
    target.stripeUsagePriceMonthlyId = null;
    target.stripeUsagePriceYearlyId = null;
  }
  audit(
    em,
    actor,
    target === current ? 'plan.update' : 'plan.new_version',
    code,
    before,
    planAuditImage(target),
  );
  await em.flush();
  return { plan: target, grandfathered: target === current ? 0 : subscribers };
}

/** Archiving stops new subscriptions; existing subscribers keep their plan. */
export async function archivePlan(em: EntityManager, actor: Identity, code: string) {
  const versions = await em.find(Plan, { code });
  if (versions.length === 0) throw notFound('plan', code);
  const current = versions.find((v) => v.isCurrent) ?? versions[versions.length - 1];
  if (!current) throw new AppError('internal', 'plan_inconsistent', 'Plan has no versions');
  const before = planAuditImage(current);
  for (const v of versions) v.status = 'archived';
  audit(em, actor, 'plan.archive', code, before, planAuditImage(current));
  await em.flush();
  return current;
}

function copyOf(p: Plan): Omit<Plan, 'id' | 'version' | 'createdAt' | 'updatedAt'> {
  const { id: _id, version: _v, createdAt: _c, updatedAt: _u, ...rest } = p;
  return { ...rest };
}

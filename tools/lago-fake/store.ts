import { PLAN_CATALOG } from '../../domain/plan-catalog';
import { lagoId, nowIso } from './ids';
import type { CustomerRec, EventRec, PlanRec, RequestRec, SubscriptionRec } from './types';

export interface PlanSeed {
  code: string;
  amount_cents: number;
  name?: string;
  interval?: PlanRec['interval'];
  amount_currency?: string;
}

/** The engine's own catalog, so that the tiers the engine sends exist as Lago plan codes out of the box. */
export const DEFAULT_PLANS: readonly PlanSeed[] = PLAN_CATALOG.map((p) => ({
  code: p.code,
  name: p.displayName,
  amount_cents: p.priceMonthlyCents,
}));

/** Everything one Lago organization holds; `reset()` brings it back to the seeded plans only. */
export class LagoStore {
  plans = new Map<string, PlanRec>();
  customers = new Map<string, CustomerRec>();
  /** Every subscription ever made, oldest first: one external_id has a history (terminated, active, pending). */
  subscriptions: SubscriptionRec[] = [];
  events: EventRec[] = [];
  private eventKeys = new Set<string>();
  requests: RequestRec[] = [];
  private sequence = 0;

  constructor(private readonly seeds: readonly PlanSeed[]) {
    this.reset();
  }

  reset(): void {
    this.plans.clear();
    this.customers.clear();
    this.subscriptions = [];
    this.events = [];
    this.eventKeys.clear();
    this.requests = [];
    this.sequence = 0;
    for (const seed of this.seeds) this.addPlan(seed);
  }

  addPlan(seed: PlanSeed): PlanRec {
    const plan: PlanRec = {
      lago_id: lagoId(),
      code: seed.code,
      name: seed.name ?? seed.code,
      interval: seed.interval ?? 'monthly',
      amount_cents: seed.amount_cents,
      amount_currency: seed.amount_currency ?? 'USD',
      created_at: nowIso(),
    };
    this.plans.set(plan.code, plan);
    return plan;
  }

  /** Lago compares plans by their yearly price to tell an upgrade from a downgrade. */
  yearlyAmount(code: string): number {
    const plan = this.plans.get(code);
    if (!plan) return 0;
    return plan.interval === 'monthly' ? plan.amount_cents * 12 : plan.amount_cents;
  }

  nextSequentialId(): number {
    return ++this.sequence;
  }

  activeSubscription(externalId: string): SubscriptionRec | undefined {
    return this.subscriptions.find((s) => s.external_id === externalId && s.status === 'active');
  }

  /** Lago scopes transaction_id uniqueness to the subscription the event is sent for. */
  hasEvent(externalSubscriptionId: string, transactionId: string): boolean {
    return this.eventKeys.has(eventKey(externalSubscriptionId, transactionId));
  }

  addEvent(event: EventRec): void {
    this.events.push(event);
    this.eventKeys.add(eventKey(event.external_subscription_id, event.transaction_id));
  }
}

const eventKey = (externalSubscriptionId: string, transactionId: string) =>
  JSON.stringify([externalSubscriptionId, transactionId]);

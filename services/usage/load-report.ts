import type { EntityManager } from '@mikro-orm/core';
import { countersFor, type UsageCounters } from '../../db/usage-counters';
import type { Identity } from '../../domain/identity';
import {
  planReport,
  type IncomingEvent,
  type ReportContext,
  type UsageTarget,
} from '../../domain/usage-report';
import { usageTarget } from './usage-target';
import { usageTypes } from './usage-types';

/** What a report is decided on, and the counter cache its write settles. */
export interface LoadedReport extends ReportContext {
  counters: UsageCounters;
  targets: Map<string, UsageTarget | null>;
}

/**
 * Everything reportUsage decides on, read once: whose usage each event is (the caller's own, or for the
 * gateway the customer it names), what their subscription grants, the BYOK keys they stored when a BYOK
 * event needs them, today's usage under a daily cap, and the usage types the engine knows.
 */
export async function loadReport(
  em: EntityManager,
  identity: Identity,
  events: readonly IncomingEvent[],
): Promise<LoadedReport> {
  const counters = countersFor(em);
  const now = new Date(counters.now());
  const plan = planReport(identity, events, now);
  const targets = new Map<string, UsageTarget | null>();
  for (const [key, named] of plan.targets) {
    targets.set(key, await usageTarget(em, counters, identity, { key, ...named }, plan.today, now));
  }
  return {
    reporter: plan.reporter,
    now,
    today: plan.today,
    resetsAt: plan.resetsAt,
    eventTargets: plan.eventTargets,
    targets,
    knownTypes: await usageTypes(em),
    counters,
  };
}

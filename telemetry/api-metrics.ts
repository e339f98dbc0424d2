import { Counter, Gauge, Histogram } from 'prom-client';
import { registry } from './registry';

/**
 * The API's metrics. Labels stay low-cardinality: route templates, methods, statuses, plan codes and
 * reasons, never customer, event or invoice ids. Durations in seconds, counters end in `_total`.
 */
const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export const httpRequestDuration = new Histogram({
  name: 'billing_http_request_duration_seconds',
  help: 'Time to answer an HTTP request, by method, route template and status.',
  labelNames: ['method', 'route', 'status'] as const,
  buckets: LATENCY_BUCKETS,
  registers: [registry],
});

export const httpRequestsInFlight = new Gauge({
  name: 'billing_http_requests_in_flight',
  help: 'HTTP requests being answered now.',
  registers: [registry],
});

/** A request starts: counted in flight until httpRequestEnded; returns when it started. */
export function httpRequestBegan(): bigint {
  httpRequestsInFlight.inc();
  return process.hrtime.bigint();
}

/** A request was answered: out of flight, its time observed under its route template and status. */
export function httpRequestEnded(start: bigint, method: string, route: string, status: number): void {
  httpRequestsInFlight.dec();
  httpRequestDuration.observe({ method, route, status: String(status) }, secondsSince(start));
}

/** A request the bare lane began and Koa will serve (and count) instead: out of flight here. */
export function httpRequestHandedOn(): void {
  httpRequestsInFlight.dec();
}

export const bareLaneRequests = new Counter({
  name: 'billing_http_bare_lane_total',
  help: "Requests for a bare route (the gateway's questions) by who answered: the bare lane (served) or Koa's chain (handed_on: a refusal, another spelling, a body).",
  labelNames: ['outcome'] as const,
  registers: [registry],
});

// The two Stripe event metrics keep their first names: dashboards and alerts query them.
export const stripeEventOutcomes = new Counter({
  name: 'billing_webhook_events_total',
  help: 'Stripe events, by what became of them (received, duplicate, ignored, mirrored from the payload, superseded by a later copy, forwarded, failed).',
  labelNames: ['outcome'] as const,
  registers: [registry],
});

export const stripeEventForwardLag = new Histogram({
  name: 'billing_webhook_forward_lag_seconds',
  help: 'From a Stripe event reaching the API to its workflow having it.',
  // Fine around the alert's 60 s, so a p99 past it says by how much.
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 45, 60, 90, 120, 180, 300, 600],
  registers: [registry],
});

/**
 * The time one event took in its lane, by what became of it: with the lanes and the backlog, what the forward
 * lag is made of (a payload's write, a signal, or nothing for a superseded copy).
 */
export const stripeEventForwardTime = new Histogram({
  name: 'billing_webhook_forward_seconds',
  help: 'The time a lane spent handing one Stripe event over, by what became of it.',
  labelNames: ['outcome'] as const,
  buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
  registers: [registry],
});

/** The API's own Stripe calls (a first sign-in's customer), counted as the workers count theirs. */
export const apiStripeRequests = new Counter({
  name: 'billing_stripe_requests_total',
  help: 'Stripe API calls by method, resource and status.',
  labelNames: ['method', 'resource', 'status'] as const,
  registers: [registry],
});

export const usageEvents = new Counter({
  name: 'billing_usage_events_total',
  help: 'Usage events reported, by outcome (accepted, duplicate, rejected) and the reason of a rejection.',
  labelNames: ['outcome', 'reason'] as const,
  registers: [registry],
});

export const requestsShed = new Counter({
  name: 'billing_requests_shed_total',
  help: 'Requests refused with 503 overloaded because as many were in progress as the route takes, by route.',
  labelNames: ['route'] as const,
  registers: [registry],
});

export const quotaDenials = new Counter({
  name: 'billing_quota_denials_total',
  help: 'Requests refused because the daily quota is spent, by plan and by where (report, check_access).',
  labelNames: ['plan', 'where'] as const,
  registers: [registry],
});

export const checkAccessDuration = new Histogram({
  name: 'billing_check_access_duration_seconds',
  help: 'Time to decide a check-access call, by whether it was allowed.',
  labelNames: ['allowed'] as const,
  buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25],
  registers: [registry],
});

export const usageLedgerCommits = new Counter({
  name: 'billing_usage_ledger_commits_total',
  help: 'Transactions the usage ledger committed; reports arriving together share one (group commit).',
  registers: [registry],
});

export const usageLedgerCommitSeconds = new Counter({
  name: 'billing_usage_ledger_commit_seconds_total',
  help: "Time the usage ledger's committed transactions took, from start to commit.",
  registers: [registry],
});

export const usageLedgerReports = new Counter({
  name: 'billing_usage_ledger_reports_total',
  help: 'Usage reports (requests) the ledger committed; over billing_usage_ledger_commits_total, the reports a commit holds.',
  registers: [registry],
});

export const creditAlertLooks = new Counter({
  name: 'billing_credit_alert_looks_total',
  help: 'Looks at where a customer stands after a report (their credit alerts and automatic top-up), by outcome (done, failed); a report looks only when its units may have crossed a threshold.',
  labelNames: ['outcome'] as const,
  registers: [registry],
});

// Node's default figures give the event loop's delay, not how busy it is; its rate is the utilization.
let eventLoopBusySeconds = 0;
export const eventLoopBusy = new Counter({
  name: 'billing_event_loop_busy_seconds_total',
  help: "Time the API's event loop spent running code rather than waiting; its rate is the loop's utilization.",
  registers: [registry],
  collect() {
    const busy = performance.eventLoopUtilization().active / 1000;
    this.inc(Math.max(0, busy - eventLoopBusySeconds));
    eventLoopBusySeconds = busy;
  },
});

export const revenueQueryDuration = new Histogram({
  name: 'billing_revenue_query_duration_seconds',
  help: 'Time to compute a revenue or admin figure from the database (cache misses), by query.',
  labelNames: ['query'] as const,
  buckets: LATENCY_BUCKETS,
  registers: [registry],
});

/** Seconds since `start` (a `process.hrtime.bigint()` reading). */
export function secondsSince(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e9;
}

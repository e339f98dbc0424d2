import { createServer } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { registerCustomers } from './customers';
import { registerEvents } from './events';
import { registerPlans } from './plans';
import { Router } from './router';
import { handle, type FailureOptions, type FaultState, type OutageMode } from './server';
import { DEFAULT_PLANS, LagoStore, type PlanSeed } from './store';
import { registerSubscriptions } from './subscriptions';
import type {
  CustomerRec,
  EventRec,
  PlanRec,
  RequestRec,
  SubscriptionRec,
  SubscriptionStatus,
} from './types';

export type { CustomerRec, EventRec, PlanRec, RequestRec, SubscriptionRec } from './types';
export type { FailureOptions, OutageMode } from './server';
export type { PlanSeed } from './store';
export { MAX_BATCH } from './events';

export const DEFAULT_PORT = 13100;
export const DEFAULT_API_KEY = 'lago_fake_api_key';

export interface LagoFakeOptions {
  /** Defaults to LAGO_FAKE_PORT or 13100; 0 picks a free port. */
  port?: number;
  host?: string;
  /** The only bearer key the fake accepts. */
  apiKey?: string;
  /** Plans known by code; defaults to the engine's catalog (trial, starter, professional, enterprise). */
  plans?: readonly PlanSeed[];
}

export interface LagoFake {
  /** Base URL of the server (the API lives under `/api/v1`), as LAGO_API_URL expects it. */
  url: string;
  port: number;
  apiKey: string;
  stop(): Promise<void>;
  /** Forgets customers, subscriptions, events, requests and faults; plans go back to the ones it starts with. */
  reset(): void;
  /**
   * An outage: `refuse` drops every connection (the client sees a network error), `unavailable`
   * answers 503 as a load balancer in front of a dead Lago would. `down(false)` ends it.
   */
  down(on: boolean, mode?: OutageMode): void;
  /** Answers the next matching requests with `status` (429, 500, …), in Lago's envelope unless a body is given. */
  failNext(status: number, opts?: FailureOptions): void;
  addPlan(plan: PlanSeed): PlanRec;
  plans(): PlanRec[];
  customers(): CustomerRec[];
  /** Every subscription ever made (terminated ones included), oldest first. */
  subscriptions(filter?: { externalId?: string; status?: SubscriptionStatus }): SubscriptionRec[];
  events(filter?: { externalSubscriptionId?: string }): EventRec[];
  requests(): RequestRec[];
}

export async function startLagoFake(opts: LagoFakeOptions = {}): Promise<LagoFake> {
  const envPort = process.env.LAGO_FAKE_PORT ? Number(process.env.LAGO_FAKE_PORT) : undefined;
  const port = opts.port ?? envPort ?? DEFAULT_PORT;
  const host = opts.host ?? '127.0.0.1';
  const apiKey = opts.apiKey ?? DEFAULT_API_KEY;
  const store = new LagoStore(opts.plans ?? DEFAULT_PLANS);
  const router = new Router();
  registerCustomers(router);
  registerSubscriptions(router);
  registerEvents(router);
  registerPlans(router);
  const faults: FaultState = { down: null, failures: [] };
  const sockets = new Set<Socket>();

  const server = createServer((req, res) => {
    handle(store, router, faults, apiKey, req, res).catch((err: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ status: 500, error: String(err) }));
    });
  });
  server.on('connection', (socket) => {
    if (faults.down === 'refuse') return void socket.destroy();
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const actualPort = (server.address() as AddressInfo).port;
  const clone = <T>(v: T): T => structuredClone(v);

  return {
    url: `http://${host}:${actualPort}`,
    port: actualPort,
    apiKey,
    async stop() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
    reset() {
      store.reset();
      faults.down = null;
      faults.failures = [];
    },
    down(on, mode = 'refuse') {
      faults.down = on ? mode : null;
      if (on && mode === 'refuse') for (const s of sockets) s.destroy();
    },
    failNext(status, opts = {}) {
      faults.failures.push({ ...opts, status, remaining: opts.count ?? 1 });
    },
    addPlan: (plan) => clone(store.addPlan(plan)),
    plans: () => clone([...store.plans.values()]),
    customers: () => clone([...store.customers.values()]),
    subscriptions: (filter = {}) =>
      clone(
        store.subscriptions.filter(
          (s) =>
            (!filter.externalId || s.external_id === filter.externalId) &&
            (!filter.status || s.status === filter.status),
        ),
      ),
    events: (filter = {}) =>
      clone(
        store.events.filter(
          (e) =>
            !filter.externalSubscriptionId || e.external_subscription_id === filter.externalSubscriptionId,
        ),
      ),
    requests: () => clone(store.requests),
  };
}

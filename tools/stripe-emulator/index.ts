import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { Emulator } from './emulator';
import type { ActiveFault, FaultRule } from './faults';
import { Router } from './router';
import { handleApi, readBody } from './server';
import { handleControl, usageFor } from './control';
import { handleHosted } from './hosted';
import { registerCustomers } from './resources/customers';
import { registerCatalog } from './resources/catalog';
import { registerPaymentMethods } from './resources/payment-methods';
import { registerSubscriptions } from './resources/subscriptions';
import { registerInvoices } from './resources/invoices';
import { registerPlatform } from './resources/platform';
import { registerMeters } from './resources/meters';
import { registerDiscounts } from './resources/discounts';
import { registerCheckout } from './resources/checkout';
import { registerRefunds } from './resources/refunds';
import { registerTaxCalculations } from './resources/tax-calculations';
import { closeDispute, openDispute } from './billing/refunds';
import { completeCheckoutSession, type CheckoutCard } from './billing/checkout';
import { completeAuthentication } from './billing/invoices';
import { settleDebits } from './billing/payments';
import { StateFile } from './state-file';
import type { ChargeRec, CheckoutSessionRec, DisputeRec, EventRec, PaymentIntentRec } from './types';
import type { DeliveryRecord, WebhookBehavior } from './webhooks';

export type { FaultRule, ActiveFault, FaultKind } from './faults';
export type { WebhookBehavior, DeliveryRecord } from './webhooks';
export type { EventRec } from './types';
export { signatureHeader } from './signature';

export const DEFAULT_PORT = 12211;

export interface StripeEmulatorOptions {
  /** Defaults to STRIPE_EMULATOR_PORT or 12211; 0 picks a free port. */
  port?: number;
  host?: string;
  /**
   * An endpoint that receives every event (or only the types in `events`, as a Stripe endpoint's enabled
   * events would), signed with `secret`.
   */
  webhook?: { url: string; secret: string; events?: string[] };
  /** Webhook retry/ordering behaviour; tests usually shorten `retryDelaysMs`. */
  webhookBehavior?: Partial<WebhookBehavior>;
  /**
   * A JSON file that keeps every object, event and idempotency key across restarts: loaded at start,
   * written shortly after each change and on stop. Without it the state lives in memory only.
   */
  statePath?: string;
  /** Gives each new customer a test clock of its own, so development can move its time forward. */
  autoTestClock?: boolean;
}

export interface StripeEmulator {
  url: string;
  port: number;
  stop(): Promise<void>;
  /** Writes a pending state change now (synchronously); nothing without `statePath`. */
  flushState(): void;
  /** Forgets every object, event, idempotency key and fault. */
  reset(): void;
  injectFault(rule: FaultRule): ActiveFault;
  clearFaults(): void;
  faults(): ActiveFault[];
  setWebhookBehavior(behavior: Partial<WebhookBehavior>): void;
  webhookDeliveries(): DeliveryRecord[];
  /** The API requests received so far (method and path), oldest first; the last 10,000. */
  requests(): { method: string; path: string }[];
  /** Resolves when every webhook delivery (retries included) has finished. */
  waitForWebhooks(): Promise<void>;
  /** Events emitted so far, oldest first, optionally of one type. */
  events(type?: string): EventRec[];
  /** Does what submitting the hosted Checkout page does; the default card is 4242 4242 4242 4242. */
  completeCheckoutSession(id: string, opts?: CheckoutCard): Record<string, unknown>;
  /** Completes (or fails) 3-D Secure for a payment intent in `requires_action`. */
  authenticatePayment(paymentIntentId: string, succeed?: boolean): Record<string, unknown>;
  /** The cardholder disputes a charge (default: what is left unrefunded); emits `charge.dispute.created`. */
  openDispute(chargeId: string, opts?: { amount?: number; reason?: string }): Record<string, unknown>;
  /** Ends a dispute won or lost; emits `charge.dispute.closed`. */
  closeDispute(disputeId: string, outcome: 'won' | 'lost'): Record<string, unknown>;
  /** The bank answers every debit still processing: settled, or failed for Stripe's failing accounts. */
  settleDebits(): { settled: number; failed: number };
  /** Aggregated usage of a meter (by id or event name) for a customer, optionally within [start, end). */
  meterUsage(customerId: string, meter: string, range?: { start?: number; end?: number }): number;
}

function buildRouter(emu: Emulator): Router {
  const router = new Router();
  registerCustomers(router, emu);
  registerCatalog(router, emu);
  registerPaymentMethods(router, emu);
  registerSubscriptions(router, emu);
  registerInvoices(router, emu);
  registerPlatform(router, emu);
  registerMeters(router, emu);
  registerDiscounts(router, emu);
  registerCheckout(router, emu);
  registerRefunds(router, emu);
  registerTaxCalculations(router, emu);
  return router;
}

export async function startStripeEmulator(opts: StripeEmulatorOptions = {}): Promise<StripeEmulator> {
  const envPort = process.env.STRIPE_EMULATOR_PORT ? Number(process.env.STRIPE_EMULATOR_PORT) : undefined;
  const port = opts.port ?? envPort ?? DEFAULT_PORT;
  const host = opts.host ?? '127.0.0.1';
  const emu = new Emulator(opts.webhook, opts.webhookBehavior ?? {});
  emu.autoTestClock = opts.autoTestClock ?? false;
  const stateFile = opts.statePath ? new StateFile(emu, opts.statePath) : null;
  stateFile?.load();
  const changed = () => stateFile?.changed();
  const router = buildRouter(emu);
  const sockets = new Set<Socket>();

  const server: Server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://emulator');
      const body = await readBody(req);
      // Only reads are GETs here, so any other request may have changed something worth saving.
      if (req.method !== 'GET' && req.method !== 'HEAD') res.once('close', changed);
      if (url.pathname.startsWith('/v1/')) return handleApi(emu, router, req, res, url, body);
      if (url.pathname.startsWith('/_emulator/')) return handleControl(emu, req, res, url, body);
      if (await handleHosted(emu, req, res, url, body)) return;
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('Not found');
    })().catch((e: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(String(e));
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const actualPort = (server.address() as AddressInfo).port;
  const url = `http://${host}:${actualPort}`;
  emu.baseUrl = url;

  return {
    url,
    port: actualPort,
    async stop() {
      emu.webhooks.stop();
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      stateFile?.flush();
    },
    flushState: () => stateFile?.flush(),
    reset: () => {
      emu.reset();
      changed();
    },
    injectFault: (rule) => emu.faults.add(rule),
    clearFaults: () => emu.faults.clear(),
    faults: () => emu.faults.list(),
    requests: () => [...emu.requestLog],
    setWebhookBehavior: (b) => {
      emu.webhooks.behavior = { ...emu.webhooks.behavior, ...b };
    },
    webhookDeliveries: () => [...emu.webhooks.deliveries],
    waitForWebhooks: () => emu.webhooks.idle(),
    events: (type) =>
      emu.store
        .all<EventRec>('event')
        .reverse()
        .filter((e) => !type || e.type === type),
    completeCheckoutSession: (id, o) => {
      const session = emu.store.get<CheckoutSessionRec>('checkout.session', id);
      changed();
      return emu.present(completeCheckoutSession(emu, session, o));
    },
    authenticatePayment: (id, succeed = true) => {
      const pi = emu.store.get<PaymentIntentRec>('payment_intent', id);
      changed();
      return emu.present(completeAuthentication(emu, pi, succeed));
    },
    openDispute: (chargeId, o) => {
      changed();
      return emu.present(openDispute(emu, emu.store.get<ChargeRec>('charge', chargeId), o));
    },
    closeDispute: (disputeId, outcome) => {
      changed();
      return emu.present(closeDispute(emu, emu.store.get<DisputeRec>('dispute', disputeId), outcome));
    },
    settleDebits: () => {
      changed();
      return settleDebits(emu);
    },
    meterUsage: (customer, meter, range) => usageFor(emu, customer, meter, range?.start, range?.end),
  };
}

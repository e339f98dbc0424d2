import { newId } from './ids';
import { listOf } from './list';
import { holdUntilExpanded } from './expand';
import { Store } from './store';
import type {
  BaseRec,
  ChargeRec,
  CreditNoteRec,
  CustomerRec,
  EventRec,
  InvoiceRec,
  PriceRec,
  RefundRec,
  SubscriptionRec,
  TestClockRec,
  WebhookEndpointRec,
} from './types';
import { WebhookDispatcher, type WebhookBehavior, type WebhookTarget } from './webhooks';
import { FaultInjector } from './faults';

export const API_VERSION = '2026-02-25.clover';

export interface StoredResponse {
  fingerprint: string;
  status: number;
  body: string;
}

/** The emulator's whole state and the operations every resource shares (time, rendering, events). */
/** The id under which the emulator lists its own forwarding address. */
export const FORWARDING_ENDPOINT_ID = 'we_emulator_forwarding';

export class Emulator {
  readonly store = new Store();
  readonly faults = new FaultInjector();
  readonly webhooks: WebhookDispatcher;
  /** Idempotency keys are scoped to the API key that used them, as in Stripe. */
  readonly idempotency = new Map<string, StoredResponse>();
  readonly inFlightKeys = new Set<string>();
  baseUrl = '';
  /** Development: every new customer gets a test clock of its own (see billing/test-clocks.ts). */
  autoTestClock = false;
  currentRequest: { id: string | null; idempotencyKey: string | null } = { id: null, idempotencyKey: null };
  /**
   * Every API request's method and path, oldest first, the last 10,000 kept: what tests read to prove a
   * step made no call that changes Stripe.
   */
  readonly requestLog: { method: string; path: string }[] = [];

  constructor(
    private readonly staticWebhook: { url: string; secret: string; events?: string[] } | undefined,
    webhookBehavior: Partial<WebhookBehavior>,
  ) {
    this.webhooks = new WebhookDispatcher(webhookBehavior);
  }

  /**
   * The address the emulator forwards every event to (like `stripe listen --forward-to`), shown as a
   * webhook endpoint so that `npm run verify` finds where events go in development. Not stored: it cannot
   * be changed or deleted, and delivery does not count it twice.
   */
  forwardingEndpoint(): WebhookEndpointRec | null {
    if (!this.staticWebhook) return null;
    return {
      id: FORWARDING_ENDPOINT_ID,
      object: 'webhook_endpoint',
      created: 0,
      url: this.staticWebhook.url,
      enabled_events: this.staticWebhook.events ?? ['*'],
      status: 'enabled',
      livemode: false,
      metadata: {},
      api_version: null,
      description: 'the emulator forwards every event here (like stripe listen)',
      _secret: this.staticWebhook.secret,
    };
  }

  reset(): void {
    this.requestLog.length = 0;
    this.store.clear();
    this.idempotency.clear();
    this.faults.clear();
    this.webhooks.reset();
  }

  realNow(): number {
    return Math.floor(Date.now() / 1000);
  }

  clockTime(clockId: string | null): number {
    if (!clockId) return this.realNow();
    const clock = this.store.find(clockId) as TestClockRec | undefined;
    return clock ? clock.frozen_time : this.realNow();
  }

  /** Objects belonging to a customer on a test clock live in that clock's frozen time. */
  nowFor(customerId: string | null): number {
    if (!customerId) return this.realNow();
    const c = this.store.find(customerId) as CustomerRec | undefined;
    return this.clockTime(c?.test_clock ?? null);
  }

  /** Renders a stored record as the API returns it: embedded sub-objects, lists, no bookkeeping fields. */
  present(rec: BaseRec): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(rec)) if (!k.startsWith('_')) out[k] = structuredClone(v);
    if (rec.object === 'subscription') {
      const sub = rec as unknown as SubscriptionRec;
      out['items'] = {
        ...listOf(
          sub.items.map((it) => ({ ...structuredClone(it), price: this.presentId(it.price), plan: null })),
          `/v1/subscription_items?subscription=${sub.id}`,
        ),
        total_count: sub.items.length,
      };
      out['plan'] = null;
      out['quantity'] = sub.items.length === 1 ? (sub.items[0]?.quantity ?? null) : null;
      out['default_source'] = null;
      out['discounts'] = sub._discount ? [sub._discount] : [];
      out['invoice_settings'] = { account_tax_ids: null, issuer: { type: 'self' } };
    } else if (rec.object === 'invoice') {
      const inv = rec as unknown as InvoiceRec;
      out['lines'] = {
        ...listOf(
          inv.lines.map((l) => ({ discount_amounts: [], discounts: [], taxes: [], ...structuredClone(l) })),
          `/v1/invoices/${inv.id}/lines`,
        ),
        total_count: inv.lines.length,
      };
      out['amount_overpaid'] = 0;
      out['amount_shipping'] = 0;
      out['discounts'] = inv.discounts ?? [];
      out['total_discount_amounts'] = inv.total_discount_amounts ?? [];
      out['total_taxes'] = inv.total_taxes ?? [];
      out['total_excluding_tax'] = inv.total_excluding_tax ?? inv.total;
      out['automatic_tax'] = inv.automatic_tax ?? {
        enabled: false,
        status: null,
        disabled_reason: null,
        liability: null,
      };
      out['customer_address'] = inv.customer_address ?? null;
      out['customer_tax_ids'] = inv.customer_tax_ids ?? [];
      out['issuer'] = { type: 'self' };
      out['pre_payment_credit_notes_amount'] = inv.pre_payment_credit_notes_amount ?? 0;
      out['post_payment_credit_notes_amount'] = inv.post_payment_credit_notes_amount ?? 0;
    } else if (rec.object === 'price') {
      holdUntilExpanded(out, 'tiers', (rec as PriceRec).tiers ?? null);
    } else if (rec.object === 'discount') {
      // The store orders records by `created`; Stripe's discount has only `start`.
      delete out['created'];
    } else if (rec.object === 'charge') {
      const ch = rec as unknown as ChargeRec;
      out['disputed'] = ch.disputed ?? false;
      out['payment_method_details'] = ch.payment_method_details ?? null;
    } else if (rec.object === 'credit_note') {
      const cn = rec as unknown as CreditNoteRec;
      out['lines'] = {
        ...listOf(structuredClone(cn.lines), `/v1/credit_notes/${cn.id}/lines`),
        total_count: cn.lines.length,
      };
      out['refunds'] = cn._refunds.map((r) => ({
        amount_refunded: (this.store.find(r) as RefundRec | undefined)?.amount ?? 0,
        refund: r,
        type: 'refund',
      }));
      out['discount_amount'] = 0;
      out['discount_amounts'] = [];
      out['amount_shipping'] = 0;
      out['pdf'] = `${this.baseUrl}/credit_notes/${cn.id}/pdf`;
      out['pre_payment_amount'] = cn.type === 'pre_payment' ? cn.amount : 0;
      out['post_payment_amount'] = cn.type === 'post_payment' ? cn.amount : 0;
      out['total_taxes'] = [];
    } else if (rec.object === 'customer' && (rec as CustomerRec).deleted) {
      return { id: rec.id, object: 'customer', deleted: true };
    }
    return out;
  }

  presentId(id: string): Record<string, unknown> | string {
    const rec = this.store.find(id);
    return rec ? this.present(rec) : id;
  }

  price(id: string): PriceRec {
    return this.store.get<PriceRec>('price', id);
  }

  webhookTargets(): WebhookTarget[] {
    const targets: WebhookTarget[] = [];
    if (this.staticWebhook) {
      const { url, secret, events } = this.staticWebhook;
      targets.push({ url, secret, enabledEvents: events ?? ['*'] });
    }
    for (const ep of this.store.all<WebhookEndpointRec & BaseRec>('webhook_endpoint')) {
      if (ep.status === 'enabled')
        targets.push({ url: ep.url, secret: ep._secret, enabledEvents: ep.enabled_events });
    }
    return targets;
  }

  emit(type: string, rec: BaseRec, previous?: Record<string, unknown>, created?: number): EventRec {
    const customerId =
      rec.object === 'customer' ? rec.id : ((rec as { customer?: unknown }).customer ?? null);
    const event: EventRec = {
      id: newId('evt'),
      object: 'event',
      api_version: API_VERSION,
      created: created ?? this.nowFor(typeof customerId === 'string' ? customerId : null),
      data: previous
        ? { object: this.present(rec), previous_attributes: previous }
        : { object: this.present(rec) },
      livemode: false,
      pending_webhooks: 0,
      request: { id: this.currentRequest.id, idempotency_key: this.currentRequest.idempotencyKey },
      type,
    };
    this.store.put(event);
    event.pending_webhooks = this.webhooks.dispatch(event, this.webhookTargets());
    return event;
  }
}

import { noSuch } from './errors';
import type { BaseRec, MeterEventRec } from './types';

const KIND_BY_OBJECT: Record<string, string> = {
  'billing.meter': 'billing meter',
  'billing_portal.session': 'billing portal session',
  'checkout.session': 'checkout session',
  'test_helpers.test_clock': 'test clock',
  payment_intent: 'payment_intent',
  payment_method: 'PaymentMethod',
  setup_intent: 'setupintent',
  webhook_endpoint: 'webhook endpoint',
};

/** The store as plain data: records oldest first, so reloading keeps the tie-break order of lists. */
export interface StoreDump {
  objects: BaseRec[];
  meterEvents: MeterEventRec[];
}

/** Everything lives in one id-keyed map, so expansion can resolve any id without knowing its type. */
export class Store {
  private readonly objects = new Map<string, BaseRec>();
  private readonly order = new Map<string, number>();
  private seq = 0;
  meterEvents: MeterEventRec[] = [];

  put<T extends BaseRec>(rec: T): T {
    if (!this.order.has(rec.id)) this.order.set(rec.id, ++this.seq);
    this.objects.set(rec.id, rec);
    return rec;
  }

  find(id: string): BaseRec | undefined {
    return this.objects.get(id);
  }

  get<T extends BaseRec>(object: string, id: string, param = 'id'): T {
    const rec = this.objects.get(id);
    if (!rec || rec.object !== object) throw noSuch(KIND_BY_OBJECT[object] ?? object, id, param);
    return rec as T;
  }

  remove(id: string): void {
    this.objects.delete(id);
  }

  /** Newest first, which is the order Stripe lists use. */
  all<T extends BaseRec>(object: string): T[] {
    const out: T[] = [];
    for (const rec of this.objects.values()) if (rec.object === object) out.push(rec as T);
    return out.sort((a, b) => b.created - a.created || this.seqOf(b.id) - this.seqOf(a.id));
  }

  private seqOf(id: string): number {
    return this.order.get(id) ?? 0;
  }

  dump(): StoreDump {
    const objects = [...this.objects.values()].sort((a, b) => this.seqOf(a.id) - this.seqOf(b.id));
    return { objects, meterEvents: this.meterEvents };
  }

  load(dump: StoreDump): void {
    this.clear();
    for (const rec of dump.objects) this.put(rec);
    this.meterEvents = dump.meterEvents;
  }

  clear(): void {
    this.objects.clear();
    this.order.clear();
    this.meterEvents = [];
  }
}

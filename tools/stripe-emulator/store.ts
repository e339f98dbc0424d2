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
  /**
   * The same records by type, and each type's list as `all` sorts it: with thousands of customers and
   * a hundred thousand events, every list, clock advance and webhook would otherwise walk and sort them all.
   * Records change in place but never their `created`, so a type's order only changes when one is added,
   * replaced or removed.
   */
  private readonly byObject = new Map<string, Map<string, BaseRec>>();
  private readonly sorted = new Map<string, BaseRec[]>();
  /**
   * Per type and field, the records by the field's value, built when first asked for, kept when a newest
   * record is added and dropped when one of that type is otherwise added, replaced or removed: a clock advance looks up its customers and their
   * subscriptions at every step, and walking all of them made 10,000 advances quadratic.
   */
  private readonly byField = new Map<string, Map<string, Map<unknown, BaseRec[]>>>();
  private seq = 0;
  meterEvents: MeterEventRec[] = [];

  put<T extends BaseRec>(rec: T): T {
    const fresh = !this.order.has(rec.id);
    if (fresh) this.order.set(rec.id, ++this.seq);
    const before = this.objects.get(rec.id);
    if (before !== rec) {
      if (before) this.unindex(before);
      let ofType = this.byObject.get(rec.object);
      if (!ofType) this.byObject.set(rec.object, (ofType = new Map()));
      ofType.set(rec.id, rec);
      // A new record is nearly always the newest (and has the highest sequence), so it goes first.
      const list = this.sorted.get(rec.object);
      const newest = fresh && list !== undefined && (list.length === 0 || rec.created >= list[0]!.created);
      if (newest) list.unshift(rec);
      else this.sorted.delete(rec.object);
      // Likewise each index of the type keeps its newest-first lists, so sign-ups do not rebuild them.
      if (newest) this.indexNewest(rec);
      else this.byField.delete(rec.object);
    }
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
    const rec = this.objects.get(id);
    if (rec) this.unindex(rec);
    this.objects.delete(id);
  }

  /** Newest first, which is the order Stripe lists use. */
  all<T extends BaseRec>(object: string): T[] {
    let list = this.sorted.get(object);
    if (!list) {
      list = this.newestFirst([...(this.byObject.get(object)?.values() ?? [])]);
      this.sorted.set(object, list);
    }
    // A copy: callers may sort or splice what they are given.
    return list.slice() as T[];
  }

  /**
   * The records of a type whose `field` holds `value`, newest first as `all` lists them. Only for fields
   * set when the record is made and never changed after (a customer's test clock, a subscription's
   * customer): a change in place is not seen.
   */
  where<T extends BaseRec>(object: string, field: keyof T & string, value: unknown): T[] {
    let fields = this.byField.get(object);
    if (!fields) this.byField.set(object, (fields = new Map()));
    let index = fields.get(field);
    if (!index) {
      index = new Map();
      for (const rec of this.all<T>(object)) {
        const key = rec[field];
        const same = index.get(key);
        if (same) same.push(rec);
        else index.set(key, [rec]);
      }
      fields.set(field, index);
    }
    return (index.get(value)?.slice() ?? []) as T[];
  }

  /** `recs` in the order `all` lists records: newest first, then the later made. */
  newestFirst<T extends BaseRec>(recs: T[]): T[] {
    return [...recs].sort((a, b) => b.created - a.created || this.seqOf(b.id) - this.seqOf(a.id));
  }

  private indexNewest(rec: BaseRec): void {
    for (const [field, index] of this.byField.get(rec.object) ?? []) {
      const key = (rec as unknown as Record<string, unknown>)[field];
      const same = index.get(key);
      if (same) same.unshift(rec);
      else index.set(key, [rec]);
    }
  }

  private unindex(rec: BaseRec): void {
    this.byObject.get(rec.object)?.delete(rec.id);
    this.sorted.delete(rec.object);
    this.byField.delete(rec.object);
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
    this.byObject.clear();
    this.sorted.clear();
    this.byField.clear();
    this.meterEvents = [];
  }
}

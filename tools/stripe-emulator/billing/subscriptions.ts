import type Stripe from 'stripe';
import type { Emulator } from '../emulator';
import { invalidParam, invalidRequest, StripeApiError } from '../errors';
import { newId } from '../ids';
import type {
  DiscountRef,
  CustomerRec,
  InvoiceItemRec,
  InvoiceRec,
  MeterRec,
  PriceRec,
  SubscriptionItemRec,
  SubscriptionRec,
  TestClockRec,
} from '../types';
import {
  attemptInvoicePayment,
  createInvoice,
  finalizeInvoice,
  lineFrom,
  markUncollectible,
  pendingItemLine,
  pendingItemsFor,
  priceLines,
  taxFieldsOf,
  voidInvoice,
  type LineSpec,
} from './invoices';
import { addInterval, prorate, SECONDS_PER_DAY, subtractInterval } from './periods';
import { priceAmount } from './tiers';
import { meterUsage } from './usage';
import { redeem } from './discounts';

export type ProrationBehavior = 'create_prorations' | 'none' | 'always_invoice';
export type PaymentBehavior =
  'allow_incomplete' | 'default_incomplete' | 'error_if_incomplete' | 'pending_if_incomplete';

export const TRIAL_WILL_END_NOTICE = 3 * SECONDS_PER_DAY;
export const UPCOMING_NOTICE = 7 * SECONDS_PER_DAY;
/** Stripe expires an unpaid first invoice's subscription after 23 hours. */
const INCOMPLETE_EXPIRY = 23 * 3600;

export interface ItemSpec {
  price: string;
  quantity: number;
  metadata: Stripe.Metadata;
}

function isMetered(price: PriceRec): boolean {
  return price.recurring?.usage_type === 'metered';
}

function productName(emu: Emulator, price: PriceRec): string {
  const product = emu.store.find(price.product) as { name?: string } | undefined;
  return product?.name ?? price.product;
}

function recurringOf(price: PriceRec, param: string): Stripe.Price.Recurring {
  if (!price.recurring)
    throw invalidParam(
      param,
      `The price specified (${price.id}) is not recurring; subscriptions need recurring prices.`,
    );
  return price.recurring;
}

function periodEndFor(emu: Emulator, sub: SubscriptionRec, start: number): number {
  const first = sub.items[0];
  if (!first) return start;
  const r = recurringOf(emu.price(first.price), 'items');
  return addInterval(start, r.interval, r.interval_count, sub.billing_cycle_anchor);
}

function setPeriod(sub: SubscriptionRec, start: number, end: number): void {
  sub.current_period_start = start;
  sub.current_period_end = end;
  for (const it of sub.items) {
    it.current_period_start = start;
    it.current_period_end = end;
  }
}

export function hasPaymentMethod(emu: Emulator, sub: SubscriptionRec): boolean {
  if (sub.default_payment_method) return true;
  const c = emu.store.find(sub.customer) as CustomerRec | undefined;
  return !!c?.invoice_settings.default_payment_method;
}

function advanceLines(
  emu: Emulator,
  sub: SubscriptionRec,
  start: number,
  end: number,
  trial: boolean,
): LineSpec[] {
  return sub.items
    .filter((it) => !isMetered(emu.price(it.price)))
    .map((it) => {
      const price = emu.price(it.price);
      const name = productName(emu, price);
      return {
        amount: trial ? 0 : priceAmount(price, it.quantity),
        description: trial ? `Trial period for ${name}` : `${it.quantity} × ${name}`,
        quantity: it.quantity,
        price: price.id,
        proration: false,
        period: { start, end },
        subscriptionItem: it.id,
        invoiceItem: null,
      };
    });
}

/**
 * The stub before a future `billing_cycle_anchor`, from `start` (now, or the trial's end) to the anchor: each
 * licensed item at its price times the share of the full period ending on the anchor that the stub covers,
 * by the second (Stripe's proration), on a proration line. Free (no line) with `proration_behavior: none`.
 */
function anchorStubLines(emu: Emulator, sub: SubscriptionRec, start: number, anchor: number): LineSpec[] {
  if (sub._prorationBehavior === 'none') return [];
  const after = new Date(start * 1000).toLocaleDateString('en-GB', {
    day: 'numeric',
    month: 'short',
    year: 'numeric',
    timeZone: 'UTC',
  });
  return sub.items
    .filter((it) => !isMetered(emu.price(it.price)))
    .map((it) => {
      const price = emu.price(it.price);
      const r = recurringOf(price, 'items');
      const whole = anchor - subtractInterval(anchor, r.interval, r.interval_count, anchor);
      return {
        amount: prorate(priceAmount(price, it.quantity), Math.min(anchor - start, whole), whole),
        description: `Remaining time on ${it.quantity} × ${productName(emu, price)} after ${after}`,
        quantity: it.quantity,
        price: price.id,
        proration: true,
        period: { start, end: anchor },
        subscriptionItem: it.id,
        invoiceItem: null,
      };
    });
}

/**
 * Stripe's rules for a `billing_cycle_anchor` given at creation: a timestamp in the future, not before the
 * trial's end, and no later than the natural end of the first period (the start, or the trial's end, plus
 * one interval of the price). Refused as Stripe refuses it, naming `param`.
 */
export function checkBillingCycleAnchor(
  anchor: number,
  at: { now: number; trialEnd: number | null; recurring: Stripe.Price.Recurring; param: string },
): void {
  if (anchor <= at.now)
    throw invalidRequest('Invalid timestamp: must be an integer Unix timestamp in the future.', at.param);
  if (at.trialEnd !== null && anchor < at.trialEnd)
    throw invalidRequest(
      `billing_cycle_anchor cannot be earlier than the trial's end (trial_end ${at.trialEnd}).`,
      at.param,
    );
  const natural = addInterval(at.trialEnd ?? at.now, at.recurring.interval, at.recurring.interval_count);
  if (anchor > natural)
    throw invalidRequest(
      `billing_cycle_anchor cannot be later than next natural billing date (${natural}) for plan`,
      at.param,
    );
}

function oneTimeLines(emu: Emulator, items: { price: string; quantity: number }[], at: number): LineSpec[] {
  return items.map((it) => {
    const price = emu.price(it.price);
    if (price.recurring) throw invalidParam('add_invoice_items', 'add_invoice_items takes one-time prices.');
    return {
      amount: priceAmount(price, it.quantity),
      description: `${it.quantity} × ${productName(emu, price)}`,
      quantity: it.quantity,
      price: price.id,
      proration: false,
      period: { start: at, end: at },
      subscriptionItem: null,
      invoiceItem: null,
    };
  });
}

function usageLines(emu: Emulator, sub: SubscriptionRec, start: number, end: number): LineSpec[] {
  const lines: LineSpec[] = [];
  for (const it of sub.items) {
    const price = emu.price(it.price);
    if (!isMetered(price) || !price.recurring?.meter) continue;
    const meter = emu.store.get<MeterRec>('billing.meter', price.recurring.meter);
    const quantity = meterUsage(emu, meter, sub.customer, start, end);
    lines.push({
      amount: priceAmount(price, quantity),
      description: `${quantity} × ${productName(emu, price)} (usage)`,
      quantity,
      price: price.id,
      proration: false,
      period: { start, end },
      subscriptionItem: it.id,
      invoiceItem: null,
    });
  }
  return lines;
}

/** Finalizes a cycle invoice and collects it, honouring `pause_collection` and `send_invoice`. */
function collect(emu: Emulator, sub: SubscriptionRec, invoiceId: string): void {
  const inv = emu.store.get<InvoiceRec>('invoice', invoiceId);
  const pause = sub.pause_collection?.behavior;
  if (pause === 'keep_as_draft') return;
  finalizeInvoice(emu, inv);
  if (inv.status !== 'open') return;
  if (pause === 'void') return void voidInvoice(emu, inv);
  if (pause === 'mark_uncollectible') return void markUncollectible(emu, inv);
  if (inv.collection_method === 'charge_automatically') attemptInvoicePayment(emu, inv);
}

export function createSubscription(
  emu: Emulator,
  opts: {
    customer: CustomerRec;
    items: ItemSpec[];
    /** One-time prices billed on the first invoice, trial or not (Stripe's `add_invoice_items`). */
    addInvoiceItems?: { price: string; quantity: number }[];
    defaultPaymentMethod: string | null;
    trialEnd: number | null;
    trialSettings: Stripe.Subscription.TrialSettings | null;
    metadata: Stripe.Metadata;
    paymentBehavior: PaymentBehavior;
    cancelAtPeriodEnd: boolean;
    collectionMethod: Stripe.Subscription.CollectionMethod;
    daysUntilDue: number | null;
    description: string | null;
    /** A coupon or promotion code redeemed onto the subscription before its first invoice. */
    discount?: DiscountRef | null;
    checkoutSession?: string | null;
    /** Stripe Tax computes its invoices' tax (Checkout's `automatic_tax`, or the API's). */
    automaticTax?: boolean;
    /**
     * A future instant the first full period starts at (Stripe's `billing_cycle_anchor` at creation): the
     * period until then (after the trial, if any) is a stub, charged prorated unless `prorationBehavior`
     * is `none`; every later period is a full one on the anchor's day.
     */
    billingCycleAnchor?: number | null;
    prorationBehavior?: ProrationBehavior;
    /** The request's name for the anchor, in errors (Checkout's is `subscription_data[billing_cycle_anchor]`). */
    anchorParam?: string;
    /**
     * An anchor that has passed by now: refused (the API), or, as Checkout does when the customer pays
     * after it, the full period starting on the anchor is charged instead of the stub.
     */
    passedAnchor?: 'refuse' | 'full_period';
  },
): SubscriptionRec {
  if (opts.items.length === 0)
    throw invalidRequest('Missing required param: items.', 'items', 'parameter_missing');
  const prices = opts.items.map((it, i) => emu.store.get<PriceRec>('price', it.price, `items[${i}][price]`));
  const first = prices[0] as PriceRec;
  const interval = recurringOf(first, 'items[0][price]');
  for (const [i, p] of prices.entries()) {
    const r = recurringOf(p, `items[${i}][price]`);
    if (r.interval !== interval.interval || r.interval_count !== interval.interval_count) {
      throw invalidParam(
        `items[${i}][price]`,
        'All prices on a subscription must have the same `recurring.interval` and `recurring.interval_count`.',
      );
    }
    if (p.currency !== first.currency)
      throw invalidParam(`items[${i}][price]`, 'All prices on a subscription must have the same currency.');
  }
  const now = emu.nowFor(opts.customer.id);
  const trialEnd = opts.trialEnd !== null && opts.trialEnd > now ? opts.trialEnd : null;
  const asked = opts.billingCycleAnchor ?? null;
  // A future anchor ends a stub period; a passed one (Checkout only) starts a full period in the past.
  let anchor: number | null = null;
  let passedAnchor: number | null = null;
  if (asked !== null) {
    if (asked <= now && trialEnd === null && opts.passedAnchor === 'full_period') passedAnchor = asked;
    else {
      checkBillingCycleAnchor(asked, {
        now,
        trialEnd,
        recurring: interval,
        param: opts.anchorParam ?? 'billing_cycle_anchor',
      });
      anchor = asked;
    }
  }
  const prorationBehavior = opts.prorationBehavior ?? 'create_prorations';
  // Nothing to charge at signup: a free stub (`proration_behavior: none`) and no one-time price. Stripe then
  // makes no invoice at all (unlike a trial's $0 one) and the subscription is active at once.
  const freeStub =
    trialEnd === null &&
    anchor !== null &&
    prorationBehavior === 'none' &&
    (opts.addInvoiceItems ?? []).length === 0;
  // Stripe's rule: once a customer is billed in a currency, everything billed to them is in it.
  const held = opts.customer.currency;
  if (held && held !== first.currency)
    throw invalidRequest(
      `You cannot combine currencies on a single customer. This customer has an active subscription, ` +
        `subscription schedule, discount, quote, or invoice item with currency ${held}.`,
      'items[0][price]',
      'currency_mismatch',
    );
  opts.customer.currency = first.currency;
  const id = newId('sub', 24);
  // Redeemed before anything is stored, so a refused code leaves no subscription behind.
  const discount = opts.discount
    ? redeem(emu, {
        customer: opts.customer,
        subscription: id,
        checkoutSession: opts.checkoutSession ?? null,
        ...opts.discount,
        at: now,
        amount: opts.items.reduce(
          (sum, it, i) =>
            sum + (isMetered(prices[i] as PriceRec) ? 0 : priceAmount(prices[i] as PriceRec, it.quantity)),
          0,
        ),
        currency: first.currency,
        param: 'discounts[0]',
      })
    : null;
  const sub = emu.store.put<SubscriptionRec>({
    id,
    object: 'subscription',
    billing_cycle_anchor: anchor ?? passedAnchor ?? trialEnd ?? now,
    cancel_at: null,
    cancel_at_period_end: opts.cancelAtPeriodEnd,
    canceled_at: null,
    cancellation_details: { comment: null, feedback: null, reason: null },
    collection_method: opts.collectionMethod,
    created: now,
    currency: first.currency,
    automatic_tax: { enabled: opts.automaticTax ?? false, disabled_reason: null, liability: null },
    current_period_end: now,
    current_period_start: now,
    customer: opts.customer.id,
    days_until_due: opts.daysUntilDue,
    default_payment_method: opts.defaultPaymentMethod,
    description: opts.description,
    ended_at: null,
    items: opts.items.map((it) => ({
      id: newId('si', 14),
      object: 'subscription_item',
      created: now,
      metadata: it.metadata,
      price: it.price,
      quantity: it.quantity,
      subscription: id,
      current_period_start: now,
      current_period_end: now,
    })),
    latest_invoice: null,
    livemode: false,
    metadata: opts.metadata,
    pause_collection: null,
    start_date: now,
    status: trialEnd ? 'trialing' : freeStub ? 'active' : 'incomplete',
    test_clock: opts.customer.test_clock,
    trial_end: trialEnd,
    trial_settings: opts.trialSettings ?? { end_behavior: { missing_payment_method: 'create_invoice' } },
    trial_start: trialEnd ? now : null,
    _trialWillEndSent: false,
    _upcomingSentFor: null,
    _discount: discount?.id ?? null,
    ...(anchor !== null ? { _prorationBehavior: prorationBehavior } : {}),
  });
  if (trialEnd !== null) setPeriod(sub, now, trialEnd);
  else if (anchor !== null) setPeriod(sub, now, anchor);
  else if (passedAnchor !== null) {
    // The period the anchor started, or a later one should a whole interval have gone by since.
    let start = passedAnchor;
    let end = periodEndFor(emu, sub, start);
    while (end <= now) [start, end] = [end, periodEndFor(emu, sub, end)];
    setPeriod(sub, start, end);
  } else setPeriod(sub, now, periodEndFor(emu, sub, now));
  emu.emit('customer.subscription.created', sub);
  if (freeStub) return sub;
  const inv = createInvoice(emu, {
    customer: opts.customer,
    subscription: sub,
    billingReason: 'subscription_create',
    lines: [
      ...(trialEnd === null && anchor !== null
        ? anchorStubLines(emu, sub, now, anchor)
        : advanceLines(emu, sub, sub.current_period_start, sub.current_period_end, trialEnd !== null)),
      ...oneTimeLines(emu, opts.addInvoiceItems ?? [], now),
    ],
    includePending: false,
    currency: sub.currency,
    periodStart: now,
    periodEnd: now,
  });
  sub.latest_invoice = inv.id;
  finalizeInvoice(emu, inv);
  if (inv.status === 'paid') {
    if (sub.status === 'incomplete') {
      sub.status = 'active';
      emu.emit('customer.subscription.updated', sub, { status: 'incomplete' });
    }
  } else if (opts.collectionMethod === 'send_invoice') {
    sub.status = 'active';
    emu.emit('customer.subscription.updated', sub, { status: 'incomplete' });
  } else if (opts.paymentBehavior !== 'default_incomplete') {
    const outcome = attemptInvoicePayment(emu, inv);
    if (outcome !== 'paid' && opts.paymentBehavior === 'error_if_incomplete') {
      voidInvoice(emu, inv);
      sub.status = 'incomplete_expired';
      sub.ended_at = now;
      throw new StripeApiError(402, {
        type: 'card_error',
        code: outcome === 'action_required' ? 'subscription_payment_intent_requires_action' : 'card_declined',
        decline_code: outcome === 'failed' ? 'generic_decline' : undefined,
        message:
          outcome === 'action_required'
            ? 'Payment for this subscription requires additional user action before it can be completed successfully.'
            : 'Your card was declined.',
      });
    }
  }
  if (trialEnd && trialEnd - now <= TRIAL_WILL_END_NOTICE) {
    sub._trialWillEndSent = true;
    emu.emit('customer.subscription.trial_will_end', sub);
  }
  return sub;
}

export function cancelSubscriptionNow(
  emu: Emulator,
  sub: SubscriptionRec,
  reason: Stripe.Subscription.CancellationDetails.Reason,
  opts: { invoiceNow?: boolean; prorate?: boolean } = {},
): SubscriptionRec {
  if (sub.status === 'canceled') return sub;
  const now = emu.nowFor(sub.customer);
  const previous = { status: sub.status };
  if (opts.prorate && (sub.status === 'active' || sub.status === 'past_due')) {
    for (const spec of prorationCredits(emu, sub, now)) addPendingItem(emu, sub, spec);
  }
  if (opts.invoiceNow) {
    const customer = emu.store.get<CustomerRec>('customer', sub.customer);
    const lines = usageLines(emu, sub, sub.current_period_start, now);
    const inv = createInvoice(emu, {
      customer,
      subscription: sub,
      billingReason: 'subscription_cycle',
      lines,
      includePending: true,
      currency: sub.currency,
      periodStart: sub.current_period_start,
      periodEnd: now,
    });
    sub.latest_invoice = inv.id;
    collect(emu, sub, inv.id);
  }
  sub.status = 'canceled';
  sub.canceled_at = sub.canceled_at ?? now;
  sub.ended_at = now;
  sub.cancellation_details = { comment: null, feedback: null, reason };
  // An unpaid first invoice would keep asking for money for a subscription that no longer exists.
  for (const inv of emu.store.all<InvoiceRec>('invoice')) {
    if (inv.subscription === sub.id && inv.status === 'open' && inv.billing_reason === 'subscription_create')
      voidInvoice(emu, inv);
  }
  emu.emit('customer.subscription.deleted', sub, previous);
  return sub;
}

/** A proration line over [at, period end): a credit for an item's unused time or a charge for what remains. */
function prorationLine(
  emu: Emulator,
  sub: SubscriptionRec,
  it: SubscriptionItemRec,
  at: number,
  kind: 'unused' | 'remaining',
): LineSpec {
  const price = emu.price(it.price);
  const whole = sub.current_period_end - sub.current_period_start;
  const amount = prorate(priceAmount(price, it.quantity), Math.max(0, sub.current_period_end - at), whole);
  return {
    amount: kind === 'unused' ? -amount : amount,
    description: `${kind === 'unused' ? 'Unused' : 'Remaining'} time on ${it.quantity} × ${productName(emu, price)}`,
    quantity: it.quantity,
    price: price.id,
    proration: true,
    period: { start: at, end: sub.current_period_end },
    subscriptionItem: it.id,
    invoiceItem: null,
  };
}

function prorationCredits(emu: Emulator, sub: SubscriptionRec, at: number): LineSpec[] {
  return sub.items
    .filter((it) => !isMetered(emu.price(it.price)))
    .map((it) => prorationLine(emu, sub, it, at, 'unused'));
}

function addPendingItem(emu: Emulator, sub: SubscriptionRec, spec: LineSpec): InvoiceItemRec {
  return emu.store.put<InvoiceItemRec>({
    id: newId('ii', 24),
    object: 'invoiceitem',
    created: emu.nowFor(sub.customer),
    customer: sub.customer,
    amount: spec.amount,
    currency: sub.currency,
    description: spec.description,
    invoice: null,
    livemode: false,
    metadata: {},
    period: spec.period,
    price: spec.price,
    proration: spec.proration,
    quantity: spec.quantity,
    subscription: sub.id,
    subscription_item: spec.subscriptionItem,
  });
}

export interface ItemChange {
  id?: string;
  price?: string;
  quantity?: number;
  deleted?: boolean;
  metadata?: Stripe.Metadata;
}

/**
 * Applies item changes with Stripe's proration: credit for the unused part of the old price, charge for the
 * remaining part of the new one, each `amount × remaining ÷ period` rounded to the cent on its own line.
 * A change of billing interval restarts the period now and invoices at once, as Stripe does.
 */
export function changeItems(
  emu: Emulator,
  sub: SubscriptionRec,
  changes: ItemChange[],
  behavior: ProrationBehavior,
  prorationDate: number | undefined,
): { previousItems: unknown } {
  const now = emu.nowFor(sub.customer);
  const at = prorationDate ?? now;
  const before = sub.items.map((it) => ({ ...it }));
  for (const [i, ch] of changes.entries()) {
    if (ch.id) {
      const it = sub.items.find((x) => x.id === ch.id);
      if (!it) throw invalidParam(`items[${i}][id]`, `No such subscription item: '${ch.id}'`);
      if (ch.deleted) {
        sub.items = sub.items.filter((x) => x !== it);
        continue;
      }
      if (ch.price) it.price = emu.store.get<PriceRec>('price', ch.price, `items[${i}][price]`).id;
      if (ch.quantity !== undefined) it.quantity = ch.quantity;
      if (ch.metadata) it.metadata = ch.metadata;
    } else {
      if (!ch.price) throw invalidParam(`items[${i}][price]`, 'Missing required param: items[price].');
      const price = emu.store.get<PriceRec>('price', ch.price, `items[${i}][price]`);
      sub.items.push({
        id: newId('si', 14),
        object: 'subscription_item',
        created: now,
        metadata: ch.metadata ?? {},
        price: price.id,
        quantity: ch.quantity ?? 1,
        subscription: sub.id,
        current_period_start: sub.current_period_start,
        current_period_end: sub.current_period_end,
      });
    }
  }
  if (sub.items.length === 0) throw invalidParam('items', 'A subscription must have at least one item.');
  for (const [i, it] of sub.items.entries())
    if (emu.price(it.price).currency !== sub.currency)
      throw invalidParam(`items[${i}][price]`, 'All prices on a subscription must have the same currency.');
  const first = sub.items[0] as SubscriptionItemRec;
  const newRecurring = recurringOf(emu.price(first.price), 'items[0][price]');
  const oldFirst = before[0] ? emu.price(before[0].price).recurring : null;
  for (const it of sub.items) {
    const r = recurringOf(emu.price(it.price), 'items');
    if (r.interval !== newRecurring.interval || r.interval_count !== newRecurring.interval_count) {
      throw invalidParam(
        'items',
        'All prices on a subscription must have the same `recurring.interval` and `recurring.interval_count`.',
      );
    }
  }
  const billable = sub.status === 'active' || sub.status === 'past_due';
  const intervalChanged =
    !!oldFirst &&
    (oldFirst.interval !== newRecurring.interval || oldFirst.interval_count !== newRecurring.interval_count);
  const lines: LineSpec[] = [];
  if (billable) {
    const unchanged = (a: SubscriptionItemRec, b: SubscriptionItemRec | undefined) =>
      !!b && a.price === b.price && a.quantity === b.quantity && !intervalChanged;
    for (const old of before) {
      const price = emu.price(old.price);
      if (
        isMetered(price) ||
        unchanged(
          old,
          sub.items.find((x) => x.id === old.id),
        )
      )
        continue;
      if (behavior !== 'none') lines.push(prorationLine(emu, sub, old, at, 'unused'));
    }
    if (!intervalChanged && behavior !== 'none') {
      for (const it of sub.items) {
        const price = emu.price(it.price);
        if (
          isMetered(price) ||
          unchanged(
            it,
            before.find((x) => x.id === it.id),
          )
        )
          continue;
        lines.push(prorationLine(emu, sub, it, at, 'remaining'));
      }
    }
  }
  if (billable && intervalChanged) {
    sub.billing_cycle_anchor = now;
    setPeriod(sub, now, periodEndFor(emu, sub, now));
    const customer = emu.store.get<CustomerRec>('customer', sub.customer);
    const inv = createInvoice(emu, {
      customer,
      subscription: sub,
      billingReason: 'subscription_update',
      lines: [...lines, ...advanceLines(emu, sub, sub.current_period_start, sub.current_period_end, false)],
      includePending: true,
      currency: sub.currency,
      periodStart: now,
      periodEnd: now,
    });
    sub.latest_invoice = inv.id;
    collect(emu, sub, inv.id);
  } else if (lines.length > 0 && behavior === 'always_invoice') {
    const customer = emu.store.get<CustomerRec>('customer', sub.customer);
    const inv = createInvoice(emu, {
      customer,
      subscription: sub,
      billingReason: 'subscription_update',
      lines,
      includePending: true,
      currency: sub.currency,
      periodStart: now,
      periodEnd: now,
    });
    sub.latest_invoice = inv.id;
    collect(emu, sub, inv.id);
  } else if (behavior === 'create_prorations') {
    for (const spec of lines) addPendingItem(emu, sub, spec);
  }
  for (const it of sub.items) {
    it.current_period_start = sub.current_period_start;
    it.current_period_end = sub.current_period_end;
  }
  return { previousItems: before };
}

/** The renewal at the end of a period: the next period's fees in advance and the last period's usage. */
function renew(
  emu: Emulator,
  sub: SubscriptionRec,
  reason: Stripe.Invoice.BillingReason = 'subscription_cycle',
): void {
  const at = sub.current_period_end;
  const prevStart = sub.current_period_start;
  const wasTrial = sub.status === 'trialing';
  const customer = emu.store.get<CustomerRec>('customer', sub.customer);
  const previous: Record<string, unknown> = { current_period_start: prevStart, current_period_end: at };
  const usage = wasTrial ? [] : usageLines(emu, sub, prevStart, at);
  // A trial that ends before the anchor runs into the stub up to it; every other period is a full one.
  const stubTo = sub.billing_cycle_anchor > at ? sub.billing_cycle_anchor : null;
  setPeriod(sub, at, stubTo ?? periodEndFor(emu, sub, at));
  if (wasTrial) {
    previous['status'] = 'trialing';
    sub.status = 'active';
  }
  const lines = [
    ...usage,
    ...(stubTo !== null
      ? anchorStubLines(emu, sub, at, stubTo)
      : advanceLines(emu, sub, sub.current_period_start, sub.current_period_end, false)),
  ];
  if (stubTo !== null && lines.length === 0 && pendingItemsFor(emu, customer.id, sub.id).length === 0) {
    // A free stub (`proration_behavior: none`) has nothing to bill: no invoice until the anchor.
    emu.emit('customer.subscription.updated', sub, previous);
    return;
  }
  const inv = createInvoice(emu, {
    customer,
    subscription: sub,
    billingReason: reason,
    lines,
    includePending: true,
    currency: sub.currency,
    periodStart: prevStart,
    periodEnd: at,
  });
  previous['latest_invoice'] = sub.latest_invoice;
  sub.latest_invoice = inv.id;
  emu.emit('customer.subscription.updated', sub, previous);
  collect(emu, sub, inv.id);
}

function endTrial(emu: Emulator, sub: SubscriptionRec): void {
  if (!hasPaymentMethod(emu, sub)) {
    const behavior = sub.trial_settings?.end_behavior.missing_payment_method ?? 'create_invoice';
    if (behavior === 'cancel') {
      cancelSubscriptionNow(emu, sub, 'cancellation_requested');
      return;
    }
    if (behavior === 'pause') {
      sub.status = 'paused';
      emu.emit('customer.subscription.paused', sub, { status: 'trialing' });
      emu.emit('customer.subscription.updated', sub, { status: 'trialing' });
      return;
    }
  }
  renew(emu, sub);
}

/** Resuming a paused subscription starts a fresh period now and bills it. */
export function resumeSubscription(emu: Emulator, sub: SubscriptionRec): SubscriptionRec {
  if (sub.status !== 'paused')
    throw invalidRequest(
      'Only paused subscriptions can be resumed.',
      undefined,
      'subscription_not_paused' as string,
    );
  const now = emu.nowFor(sub.customer);
  sub.status = 'active';
  sub.billing_cycle_anchor = now;
  sub.trial_end = sub.trial_end && sub.trial_end > now ? now : sub.trial_end;
  setPeriod(sub, now, now);
  renew(emu, sub, 'subscription_update');
  emu.emit('customer.subscription.resumed', sub, { status: 'paused' });
  return sub;
}

export function endTrialNow(emu: Emulator, sub: SubscriptionRec): void {
  const now = emu.nowFor(sub.customer);
  if (sub.status !== 'trialing') return;
  sub.trial_end = now;
  sub.current_period_end = now;
  sub.billing_cycle_anchor = now;
  endTrial(emu, sub);
}

type Action = { at: number; order: number; run: () => void };

function nextAction(emu: Emulator, sub: SubscriptionRec, upTo: number): Action | null {
  const actions: Action[] = [];
  const push = (at: number | null, order: number, run: () => void) => {
    if (at !== null && at <= upTo) actions.push({ at, order, run });
  };
  if (sub.status === 'canceled' || sub.status === 'incomplete_expired') return null;
  if (sub.status === 'incomplete') {
    push(sub.created + INCOMPLETE_EXPIRY, 0, () => {
      sub.status = 'incomplete_expired';
      sub.ended_at = sub.created + INCOMPLETE_EXPIRY;
      for (const inv of emu.store.all<InvoiceRec>('invoice')) {
        if (inv.subscription === sub.id && inv.status === 'open') voidInvoice(emu, inv);
      }
      emu.emit('customer.subscription.updated', sub, { status: 'incomplete' });
    });
  }
  if (sub.status === 'trialing' && sub.trial_end !== null) {
    if (!sub._trialWillEndSent) {
      push(sub.trial_end - TRIAL_WILL_END_NOTICE, 1, () => {
        sub._trialWillEndSent = true;
        emu.emit('customer.subscription.trial_will_end', sub);
      });
    }
    push(sub.trial_end, 3, () => endTrial(emu, sub));
  }
  if (sub.pause_collection?.resumes_at) {
    push(sub.pause_collection.resumes_at, 0, () => {
      const previous = { pause_collection: sub.pause_collection };
      sub.pause_collection = null;
      emu.emit('customer.subscription.updated', sub, previous);
    });
  }
  // A trial told to end at its own end (`cancel_at` = `trial_end`) ends then, never converted or invoiced.
  const endsInTrial =
    sub.status === 'trialing' && sub.cancel_at !== null && sub.cancel_at <= sub.current_period_end;
  if (sub.cancel_at !== null && (sub.cancel_at < sub.current_period_end || endsInTrial)) {
    push(sub.cancel_at, 2, () => cancelSubscriptionNow(emu, sub, 'cancellation_requested'));
  }
  if (['active', 'past_due', 'unpaid'].includes(sub.status)) {
    const end = sub.current_period_end;
    const ending = sub.cancel_at_period_end || (sub.cancel_at !== null && sub.cancel_at <= end);
    if (!ending && sub._upcomingSentFor !== end && end - UPCOMING_NOTICE > sub.current_period_start) {
      push(end - UPCOMING_NOTICE, 1, () => {
        sub._upcomingSentFor = end;
        emu.emit('invoice.upcoming', upcomingInvoice(emu, sub));
      });
    }
    push(end, 3, () =>
      ending ? cancelSubscriptionNow(emu, sub, 'cancellation_requested') : renew(emu, sub),
    );
  }
  actions.sort((a, b) => a.at - b.at || a.order - b.order);
  return actions[0] ?? null;
}

/**
 * What the next renewal invoice will look like, for `invoice.upcoming` and invoice previews: the lines
 * `renew` will bill (this period's metered usage so far, the next period in advance, pending items), priced
 * by the same rules (priceLines), without spending a `once` discount or the customer's credit balance.
 */
export function upcomingInvoice(emu: Emulator, sub: SubscriptionRec, extra: LineSpec[] = []): InvoiceRec {
  const start = sub.current_period_end;
  const stubTo = sub.billing_cycle_anchor > start ? sub.billing_cycle_anchor : null;
  const end = stubTo ?? periodEndFor(emu, sub, start);
  const customer = emu.store.get<CustomerRec>('customer', sub.customer);
  const wasTrial = sub.status === 'trialing';
  const specs = [
    ...(wasTrial ? [] : usageLines(emu, sub, sub.current_period_start, start)),
    ...(stubTo !== null ? anchorStubLines(emu, sub, start, end) : advanceLines(emu, sub, start, end, false)),
  ];
  const lines = [
    ...specs.map((l) => lineFrom(emu, l, sub.currency, sub.id)),
    ...pendingItemsFor(emu, customer.id, sub.id).map((ii) => pendingItemLine(emu, ii)),
    ...extra.map((l) => lineFrom(emu, l, sub.currency, sub.id)),
  ];
  const priced = priceLines(emu, customer, sub, lines, sub.currency, start, true);
  return {
    id: `upcoming_${sub.id}`,
    object: 'invoice',
    amount_due: priced.amountDue,
    amount_paid: 0,
    amount_remaining: priced.amountDue,
    attempt_count: 0,
    attempted: false,
    auto_advance: true,
    billing_reason: 'upcoming',
    charge: null,
    collection_method: sub.collection_method,
    created: emu.nowFor(sub.customer),
    currency: sub.currency,
    customer: sub.customer,
    customer_email: customer.email,
    customer_name: customer.name ?? null,
    default_payment_method: null,
    description: null,
    due_date: null,
    hosted_invoice_url: null,
    invoice_pdf: null,
    lines,
    livemode: false,
    metadata: {},
    next_payment_attempt: start,
    number: null,
    paid: false,
    parent: {
      type: 'subscription_details',
      subscription_details: { subscription: sub.id, metadata: sub.metadata },
    },
    payment_intent: null,
    period_end: start,
    period_start: sub.current_period_start,
    status: 'draft',
    status_transitions: { finalized_at: null, marked_uncollectible_at: null, paid_at: null, voided_at: null },
    subscription: sub.id,
    subtotal: priced.subtotal,
    test_clock: sub.test_clock,
    total: priced.total,
    discounts: priced.discount.discounts,
    total_discount_amounts: priced.discount.totalDiscountAmounts,
    ...taxFieldsOf(emu, customer, priced),
  };
}

/**
 * Moves a test clock forward, stopping at every instant something is due (trial notices, trial ends,
 * renewals, cancellations) so events and invoices come out in the order and at the times Stripe produces them.
 */
export function advanceClock(emu: Emulator, clock: TestClockRec, target: number): void {
  if (target <= clock.frozen_time) {
    throw invalidParam(
      'frozen_time',
      'Cannot advance a test clock to a time before its current frozen time.',
    );
  }
  clock.status = 'advancing';
  for (let guard = 0; guard < 100_000; guard++) {
    // The clock's subscriptions in the order of the whole list, so equal instants break ties as before.
    const subs = emu.store.newestFirst(
      emu.store
        .where<CustomerRec>('customer', 'test_clock', clock.id)
        .flatMap((c) => emu.store.where<SubscriptionRec>('subscription', 'customer', c.id)),
    );
    let best: Action | null = null;
    for (const sub of subs) {
      const a = nextAction(emu, sub, target);
      if (a && (!best || a.at < best.at || (a.at === best.at && a.order < best.order))) best = a;
    }
    if (!best) break;
    clock.frozen_time = Math.max(clock.frozen_time, best.at);
    best.run();
  }
  clock.frozen_time = target;
  clock.status = 'ready';
}

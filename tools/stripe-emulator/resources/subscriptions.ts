import type Stripe from 'stripe';
import type { Emulator } from '../emulator';
import { invalidParam, invalidRequest } from '../errors';
import type { Params } from '../form';
import { paginate } from '../list';
import {
  mergeMetadata,
  objectList,
  optBool,
  optInt,
  optObject,
  optString,
  reqString,
  timestampOrNow,
} from '../params';
import type { Router } from '../router';
import type { CustomerRec, DiscountRef, PaymentMethodRec, PriceRec, SubscriptionRec } from '../types';
import { redeem } from '../billing/discounts';
import { attachPaymentMethod, resolvePaymentMethod } from '../billing/payment-methods';
import {
  cancelSubscriptionNow,
  changeItems,
  createSubscription,
  endTrialNow,
  resumeSubscription,
  upcomingInvoice,
  type ItemChange,
  type PaymentBehavior,
  type ProrationBehavior,
} from '../billing/subscriptions';
import { SECONDS_PER_DAY } from '../billing/periods';

/** `discounts[0]` of a request: a coupon or a promotion code (one at most, as most accounts allow). */
export function discountRefOf(p: Params): DiscountRef | null {
  const list = objectList(p, 'discounts');
  if (list.length > 1) throw invalidParam('discounts', 'Only one discount may be applied here.');
  const d = list[0];
  if (!d) return null;
  const coupon = optString(d, 'coupon') || undefined;
  const promotionCode = optString(d, 'promotion_code') || undefined;
  if (!coupon === !promotionCode) throw invalidParam('discounts[0]', 'Pass a coupon or a promotion_code.');
  return { coupon, promotionCode };
}

function metadataOf(p: Params): Stripe.Metadata {
  return mergeMetadata({}, p);
}

/** `automatic_tax[enabled]`: Stripe Tax computes the subscription's invoices' tax. */
function automaticTaxOf(p: Params): boolean {
  const at = optObject(p, 'automatic_tax');
  return at ? (optBool(at, 'enabled') ?? false) : false;
}

export function trialSettingsOf(p: Params): Stripe.Subscription.TrialSettings | null {
  const ts = optObject(p, 'trial_settings');
  const eb = ts ? optObject(ts, 'end_behavior') : undefined;
  const mpm = eb ? optString(eb, 'missing_payment_method') : undefined;
  if (!mpm) return null;
  if (!['cancel', 'pause', 'create_invoice'].includes(mpm)) {
    throw invalidParam('trial_settings[end_behavior][missing_payment_method]');
  }
  return { end_behavior: { missing_payment_method: mpm as 'cancel' | 'pause' | 'create_invoice' } };
}

function prorationBehaviorOf(p: Params): ProrationBehavior {
  const v = optString(p, 'proration_behavior') || 'create_prorations';
  if (v !== 'create_prorations' && v !== 'none' && v !== 'always_invoice')
    throw invalidParam('proration_behavior');
  return v;
}

function paymentMethodForCustomer(emu: Emulator, customer: CustomerRec, ref: string): PaymentMethodRec {
  const pm = resolvePaymentMethod(emu, ref, 'default_payment_method');
  if (pm.customer !== customer.id) attachPaymentMethod(emu, pm, customer);
  return pm;
}

export function registerSubscriptions(router: Router, emu: Emulator): void {
  router.post('/v1/subscriptions', ({ params }) => {
    const customer = emu.store.get<CustomerRec>('customer', reqString(params, 'customer'), 'customer');
    const now = emu.nowFor(customer.id);
    const items = objectList(params, 'items').map((it, i) => ({
      price: (() => {
        const price = optString(it, 'price');
        if (!price) throw invalidParam(`items[${i}][price]`, `Missing required param: items[${i}][price].`);
        return price;
      })(),
      quantity: optInt(it, 'quantity') ?? 1,
      metadata: metadataOf(it),
    }));
    const pmRef = optString(params, 'default_payment_method');
    const pm = pmRef ? paymentMethodForCustomer(emu, customer, pmRef) : null;
    const trialDays = optInt(params, 'trial_period_days');
    const trialEndParam = timestampOrNow(params, 'trial_end', now);
    const firstPrice = items[0] ? (emu.store.find(items[0].price) as PriceRec | undefined) : undefined;
    const priceTrialDays = optBool(params, 'trial_from_plan')
      ? firstPrice?.recurring?.trial_period_days
      : null;
    let trialEnd: number | null = null;
    if (trialEndParam === 'now') trialEnd = null;
    else if (trialEndParam !== undefined) trialEnd = trialEndParam;
    else if (trialDays) trialEnd = now + trialDays * SECONDS_PER_DAY;
    else if (priceTrialDays) trialEnd = now + priceTrialDays * SECONDS_PER_DAY;
    const behavior = (optString(params, 'payment_behavior') || 'allow_incomplete') as PaymentBehavior;
    const collection = (optString(params, 'collection_method') ||
      'charge_automatically') as Stripe.Subscription.CollectionMethod;
    const sub = createSubscription(emu, {
      customer,
      items,
      defaultPaymentMethod: pm?.id ?? null,
      trialEnd,
      trialSettings: trialSettingsOf(params),
      metadata: metadataOf(params),
      paymentBehavior: behavior,
      cancelAtPeriodEnd: optBool(params, 'cancel_at_period_end') ?? false,
      collectionMethod: collection,
      daysUntilDue: optInt(params, 'days_until_due') ?? (collection === 'send_invoice' ? 30 : null),
      description: optString(params, 'description') || null,
      discount: discountRefOf(params),
      automaticTax: automaticTaxOf(params),
      // At creation only a timestamp (`now` and `unchanged` are for updates).
      billingCycleAnchor: optInt(params, 'billing_cycle_anchor') ?? null,
      prorationBehavior: prorationBehaviorOf(params),
    });
    return emu.present(sub);
  });

  router.get('/v1/subscriptions/:id', ({ pathParams }) =>
    emu.present(emu.store.get('subscription', pathParams['id'] ?? '')),
  );

  router.post('/v1/subscriptions/:id', ({ pathParams, params }) => {
    const sub = emu.store.get<SubscriptionRec>('subscription', pathParams['id'] ?? '');
    if (sub.status === 'canceled' || sub.status === 'incomplete_expired') {
      throw invalidRequest(
        'A canceled subscription can only update its cancellation_details and metadata.',
        undefined,
        'resource_missing',
      );
    }
    const customer = emu.store.get<CustomerRec>('customer', sub.customer);
    const now = emu.nowFor(customer.id);
    const newTrialEnd = timestampOrNow(params, 'trial_end', now);
    // A trial may not run past an anchor given at creation (refused before anything changes).
    if (
      typeof newTrialEnd === 'number' &&
      sub.status === 'trialing' &&
      sub.billing_cycle_anchor !== sub.trial_end &&
      newTrialEnd > sub.billing_cycle_anchor
    )
      throw invalidRequest(
        `trial_end cannot be later than the subscription's billing_cycle_anchor (${sub.billing_cycle_anchor}).`,
        'trial_end',
        'subscription_update_trial_after_billing_cycle_anchor',
      );
    const previous: Record<string, unknown> = {};
    if (params['metadata'] !== undefined) {
      previous['metadata'] = sub.metadata;
      sub.metadata = mergeMetadata(sub.metadata, params);
    }
    const description = optString(params, 'description');
    if (description !== undefined) sub.description = description || null;
    const pmRef = optString(params, 'default_payment_method');
    if (pmRef !== undefined) {
      previous['default_payment_method'] = sub.default_payment_method;
      sub.default_payment_method = pmRef ? paymentMethodForCustomer(emu, customer, pmRef).id : null;
    }
    const cape = optBool(params, 'cancel_at_period_end');
    if (cape !== undefined && cape !== sub.cancel_at_period_end) {
      previous['cancel_at_period_end'] = sub.cancel_at_period_end;
      sub.cancel_at_period_end = cape;
      sub.canceled_at = cape ? now : null;
      sub.cancel_at = cape ? sub.current_period_end : null;
      sub.cancellation_details = {
        comment: null,
        feedback: null,
        reason: cape ? 'cancellation_requested' : null,
      };
    }
    const cancelAt = optString(params, 'cancel_at');
    if (cancelAt !== undefined) {
      previous['cancel_at'] = sub.cancel_at;
      sub.cancel_at = cancelAt ? Number(cancelAt) : null;
    }
    if (params['pause_collection'] !== undefined) {
      previous['pause_collection'] = sub.pause_collection;
      const pc = optObject(params, 'pause_collection');
      if (!pc) sub.pause_collection = null;
      else {
        const behavior = reqString(pc, 'behavior');
        if (!['keep_as_draft', 'mark_uncollectible', 'void'].includes(behavior)) {
          throw invalidParam('pause_collection[behavior]');
        }
        sub.pause_collection = {
          behavior: behavior as Stripe.Subscription.PauseCollection.Behavior,
          resumes_at: optInt(pc, 'resumes_at') ?? null,
        };
      }
    }
    const ts = trialSettingsOf(params);
    if (ts) sub.trial_settings = ts;
    // `discounts=` (empty) takes the discount off; a coupon or code replaces it, before any item change, so
    // the change's prorations are discounted by it.
    if (params['discounts'] === '') {
      previous['discounts'] = sub._discount ? [sub._discount] : [];
      sub._discount = null;
    } else {
      const ref = discountRefOf(params);
      if (ref) {
        previous['discounts'] = sub._discount ? [sub._discount] : [];
        sub._discount = redeem(emu, {
          customer,
          subscription: sub.id,
          ...ref,
          at: now,
          amount: upcomingInvoice(emu, sub).subtotal,
          currency: sub.currency,
          param: 'discounts[0]',
        }).id;
      }
    }
    const changes: ItemChange[] = objectList(params, 'items').map((it) => ({
      id: optString(it, 'id') || undefined,
      price: optString(it, 'price') || undefined,
      quantity: optInt(it, 'quantity'),
      deleted: optBool(it, 'deleted'),
      metadata: it['metadata'] !== undefined ? metadataOf(it) : undefined,
    }));
    if (changes.length > 0) {
      const { previousItems } = changeItems(
        emu,
        sub,
        changes,
        prorationBehaviorOf(params),
        optInt(params, 'proration_date'),
      );
      previous['items'] = previousItems;
    }
    const trialEnd = newTrialEnd;
    if (trialEnd === 'now') {
      previous['trial_end'] = sub.trial_end;
      endTrialNow(emu, sub);
    } else if (trialEnd !== undefined && sub.status === 'trialing') {
      // The cycle is anchored on the trial's end, unless it was given an anchor of its own (checked above).
      if (sub.billing_cycle_anchor === sub.trial_end) sub.billing_cycle_anchor = trialEnd;
      previous['trial_end'] = sub.trial_end;
      sub.trial_end = trialEnd;
      sub.current_period_end = trialEnd;
      for (const it of sub.items) it.current_period_end = trialEnd;
      sub._trialWillEndSent = false;
    }
    if (Object.keys(previous).length > 0) emu.emit('customer.subscription.updated', sub, previous);
    return emu.present(sub);
  });

  router.delete('/v1/subscriptions/:id', ({ pathParams, params }) => {
    const sub = emu.store.get<SubscriptionRec>('subscription', pathParams['id'] ?? '');
    if (sub.status === 'canceled') {
      throw invalidRequest(`No such subscription: '${sub.id}'`, 'id', 'resource_missing');
    }
    cancelSubscriptionNow(emu, sub, 'cancellation_requested', {
      invoiceNow: optBool(params, 'invoice_now') ?? false,
      prorate: optBool(params, 'prorate') ?? false,
    });
    return emu.present(sub);
  });

  router.post('/v1/subscriptions/:id/resume', ({ pathParams }) =>
    emu.present(
      resumeSubscription(emu, emu.store.get<SubscriptionRec>('subscription', pathParams['id'] ?? '')),
    ),
  );

  router.get('/v1/subscriptions', ({ params }) => {
    const customer = optString(params, 'customer');
    const price = optString(params, 'price');
    const status = optString(params, 'status');
    const clock = optString(params, 'test_clock');
    const items = emu.store
      .all<SubscriptionRec>('subscription')
      .filter(
        (s) =>
          (!customer || s.customer === customer) &&
          (!price || s.items.some((it) => it.price === price)) &&
          (!clock || s.test_clock === clock) &&
          (status === 'all' ||
            (status ? s.status === status : s.status !== 'canceled' && s.status !== 'incomplete_expired')),
      );
    const page = paginate(items, params, '/v1/subscriptions');
    return { ...page, data: page.data.map((s) => emu.present(s)) };
  });

  router.get('/v1/subscription_items', ({ params }) => {
    const sub = emu.store.get<SubscriptionRec>(
      'subscription',
      reqString(params, 'subscription'),
      'subscription',
    );
    const page = paginate([...sub.items], params, '/v1/subscription_items');
    return { ...page, data: page.data.map((it) => ({ ...it, price: emu.presentId(it.price) })) };
  });

  router.post('/v1/invoices/create_preview', ({ params }) => {
    const subId = reqString(params, 'subscription');
    const sub = emu.store.get<SubscriptionRec>('subscription', subId, 'subscription');
    // Invoice items to preview on top, as new pending items of the current period would be billed.
    const extra = objectList(params, 'invoice_items').map((item, i) => {
      const amount = optInt(item, 'amount');
      if (amount === undefined) throw invalidParam(`invoice_items[${i}][amount]`, 'Missing required param.');
      const currency = optString(item, 'currency') ?? sub.currency;
      if (currency !== sub.currency)
        throw invalidParam(`invoice_items[${i}][currency]`, "The currency must be the subscription's.");
      return {
        amount,
        description: optString(item, 'description') ?? '',
        quantity: 1,
        price: null,
        proration: false,
        period: { start: sub.current_period_start, end: sub.current_period_end },
        subscriptionItem: null,
        invoiceItem: null,
      };
    });
    return emu.present(upcomingInvoice(emu, sub, extra));
  });
}

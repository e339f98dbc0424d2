import type { Emulator } from '../emulator';
import { invalidParam, invalidRequest, missingParam } from '../errors';
import { newId } from '../ids';
import { listOf, paginate } from '../list';
import type { Params } from '../form';
import {
  mergeMetadata,
  objectList,
  optBool,
  optInt,
  optObject,
  optString,
  reqString,
  stringList,
} from '../params';
import type { Router } from '../router';
import { discountRefOf, trialSettingsOf } from './subscriptions';
import { checkoutLineAmount, refreshCheckoutSession } from '../billing/checkout';
import { checkBillingCycleAnchor } from '../billing/subscriptions';
import type {
  DiscountRef,
  CheckoutSessionRec,
  CustomerRec,
  PortalSessionRec,
  PriceRec,
  ProductRec,
  SetupIntentRec,
} from '../types';

const DAY = 86_400;

export function registerCheckout(router: Router, emu: Emulator): void {
  /** Checkout's `discounts`: the coupon or promotion code must exist now; it is redeemed on completion. */
  function checkoutDiscount(params: Params): DiscountRef | null {
    const ref = discountRefOf(params);
    if (ref?.promotionCode)
      emu.store.get('promotion_code', ref.promotionCode, 'discounts[0][promotion_code]');
    if (ref?.coupon) emu.store.get('coupon', ref.coupon, 'discounts[0][coupon]');
    return ref;
  }

  const session = (id: string | undefined) =>
    refreshCheckoutSession(emu, emu.store.get<CheckoutSessionRec>('checkout.session', id ?? ''));

  /** `expires_at`: from half an hour to a day after the session is made (a day when not given), as in Stripe. */
  function expiresAtOf(params: Params, now: number): number {
    const at = optInt(params, 'expires_at');
    if (at === undefined) return now + DAY;
    if (at < now + 30 * 60)
      throw invalidRequest(
        'The `expires_at` timestamp must be at least 30 minutes from Checkout Session creation.',
        'expires_at',
      );
    if (at > now + DAY)
      throw invalidRequest(
        'The `expires_at` timestamp must be less than 24 hours from Checkout Session creation.',
        'expires_at',
      );
    return at;
  }

  /**
   * `subscription_data`'s trial and billing cycle anchor, checked as Stripe checks them. Checkout takes an
   * anchor or a trial, never both (Stripe: "You may only specify one of these parameters: billing_cycle_anchor,
   * trial_end."); the anchor must be in the future and no later than the first period's natural end; a
   * `trial_end` at least two days away.
   */
  function anchorAndTrial(subData: Params, recurring: NonNullable<PriceRec['recurring']>, now: number) {
    const trialPeriodDays = optInt(subData, 'trial_period_days');
    const trialEnd = optInt(subData, 'trial_end');
    const anchor = optInt(subData, 'billing_cycle_anchor');
    const behavior = optString(subData, 'proration_behavior') || undefined;
    if (behavior !== undefined && behavior !== 'create_prorations' && behavior !== 'none')
      throw invalidParam('subscription_data[proration_behavior]');
    if (trialEnd !== undefined && trialPeriodDays !== undefined)
      throw invalidRequest(
        'You may only specify one of these parameters: trial_end, trial_period_days.',
        'subscription_data[trial_end]',
      );
    if (anchor !== undefined && (trialEnd !== undefined || trialPeriodDays)) {
      const trial = trialEnd !== undefined ? 'trial_end' : 'trial_period_days';
      throw invalidRequest(
        `You may only specify one of these parameters: billing_cycle_anchor, ${trial}.`,
        'subscription_data[billing_cycle_anchor]',
      );
    }
    if (trialEnd !== undefined && trialEnd < now + 2 * DAY)
      throw invalidRequest(
        'The `trial_end` date has to be at least 2 days in the future.',
        'subscription_data[trial_end]',
      );
    if (anchor !== undefined)
      checkBillingCycleAnchor(anchor, {
        now,
        trialEnd: null,
        recurring,
        param: 'subscription_data[billing_cycle_anchor]',
      });
    return {
      trialPeriodDays,
      trialEnd: trialEnd ?? null,
      billingCycleAnchor: anchor ?? null,
      prorationBehavior: behavior as 'create_prorations' | 'none' | undefined,
    };
  }

  /**
   * Stripe Tax on a session: `automatic_tax[enabled]` needs a location, so with a customer who has no
   * address Checkout must be allowed to save the one typed (`customer_update[address]=auto`), as Stripe
   * insists; the page then asks for the address (and the tax id with `tax_id_collection`).
   */
  function taxFields(params: Params, customer: CustomerRec | null): Partial<CheckoutSessionRec> {
    const enabled = optBool(optObject(params, 'automatic_tax') ?? {}, 'enabled') ?? false;
    const collection = optString(params, 'billing_address_collection');
    if (collection !== undefined && collection !== 'auto' && collection !== 'required')
      throw invalidParam('billing_address_collection');
    const taxIds = optBool(optObject(params, 'tax_id_collection') ?? {}, 'enabled') ?? false;
    const update = optObject(params, 'customer_update') ?? {};
    if ((enabled || taxIds) && customer && !customer.address && optString(update, 'address') !== 'auto')
      throw invalidRequest(
        'Automatic tax calculation in Checkout requires a valid address on the Customer. Add a valid ' +
          "address to the Customer or set either 'customer_update[address]' to 'auto' or " +
          "'customer_update[shipping]' to 'auto' to save the address entered in Checkout to the Customer.",
        'customer_update[address]',
      );
    return {
      automatic_tax: { enabled, status: enabled ? 'requires_location_inputs' : null, liability: null },
      billing_address_collection: (collection as 'auto' | 'required' | undefined) ?? null,
      tax_id_collection: { enabled: taxIds, required: 'never' },
    };
  }

  /** `price_data`'s product: a stored one, or `product_data` (a product made for this line, as Stripe does). */
  function productOf(data: Params, i: number): ProductRec {
    const made = optObject(data, 'product_data');
    if (!made)
      return emu.store.get<ProductRec>(
        'product',
        reqString(data, 'product'),
        `line_items[${i}][price_data][product]`,
      );
    if (optString(data, 'product') !== undefined)
      throw invalidParam(
        `line_items[${i}][price_data][product]`,
        'You may only specify one of these parameters: product, product_data.',
      );
    const now = emu.realNow();
    const product = emu.store.put<ProductRec>({
      id: newId('prod', 14),
      object: 'product',
      active: true,
      created: now,
      updated: now,
      default_price: null,
      description: optString(made, 'description') || null,
      images: [],
      livemode: false,
      marketing_features: [],
      metadata: mergeMetadata({}, made),
      name: reqString(made, 'name'),
      package_dimensions: null,
      shippable: null,
      type: 'service',
      unit_label: null,
      url: null,
    });
    emu.emit('product.created', product);
    return product;
  }

  /** A line's price: a stored one, or `price_data` (a one-time price made for this session, as Stripe does). */
  function lineItemPrice(li: Params, i: number): PriceRec {
    const data = optObject(li, 'price_data');
    if (!data) return emu.store.get<PriceRec>('price', reqString(li, 'price'), `line_items[${i}][price]`);
    if (optString(li, 'price') !== undefined)
      throw invalidParam(
        `line_items[${i}][price]`,
        'You may only specify one of these parameters: price, price_data.',
      );
    if (optObject(data, 'recurring') !== undefined)
      throw invalidParam(
        `line_items[${i}][price_data][recurring]`,
        'The emulator makes one-time prices only.',
      );
    const product = productOf(data, i);
    const unitAmount = optInt(data, 'unit_amount');
    if (unitAmount === undefined) throw missingParam(`line_items[${i}][price_data][unit_amount]`);
    if (unitAmount < 0) throw invalidParam(`line_items[${i}][price_data][unit_amount]`);
    return emu.store.put<PriceRec>({
      id: newId('price', 24),
      object: 'price',
      active: false,
      billing_scheme: 'per_unit',
      created: emu.realNow(),
      currency: reqString(data, 'currency').toLowerCase(),
      custom_unit_amount: null,
      livemode: false,
      lookup_key: null,
      metadata: {},
      nickname: null,
      product: product.id,
      recurring: null,
      tax_behavior: 'unspecified',
      tiers_mode: null,
      transform_quantity: null,
      type: 'one_time',
      unit_amount: unitAmount,
      unit_amount_decimal: String(unitAmount),
    });
  }

  /** A new open session with the fields every mode shares; `fields` says what the mode makes its own. */
  function putSession(
    params: Params,
    customer: CustomerRec | null,
    now: number,
    fields: Pick<
      CheckoutSessionRec,
      | 'amount_subtotal'
      | 'amount_total'
      | 'currency'
      | 'mode'
      | 'payment_method_collection'
      | 'payment_status'
      | 'setup_intent'
      | '_lineItems'
      | '_subscriptionData'
    > &
      Partial<CheckoutSessionRec>,
  ): CheckoutSessionRec {
    const id = newId('cs_test', 58);
    return emu.store.put<CheckoutSessionRec>({
      id,
      object: 'checkout.session',
      cancel_url: optString(params, 'cancel_url') || null,
      client_reference_id: optString(params, 'client_reference_id') || null,
      created: now,
      customer: customer?.id ?? null,
      customer_details: null,
      customer_email: customer ? null : optString(params, 'customer_email') || null,
      expires_at: expiresAtOf(params, now),
      invoice: null,
      livemode: false,
      metadata: mergeMetadata({}, params),
      status: 'open',
      subscription: null,
      success_url: optString(params, 'success_url') || null,
      url: `${emu.baseUrl}/checkout/${id}`,
      ...fields,
    });
  }

  /**
   * Setup mode saves a card for later without charging: no line items, a currency (Stripe asks for one
   * unless payment method types are named), and a SetupIntent made with the session.
   */
  function createSetupSession(params: Params): CheckoutSessionRec {
    if (params['line_items'] !== undefined)
      throw invalidParam('line_items', 'You cannot pass `line_items` in `setup` mode.');
    const customerId = optString(params, 'customer') || null;
    const customer = customerId ? emu.store.get<CustomerRec>('customer', customerId, 'customer') : null;
    const types = stringList(params, 'payment_method_types');
    if (types.some((t) => t !== 'card'))
      throw invalidParam('payment_method_types', 'The emulator saves cards only.');
    const currency = optString(params, 'currency')?.toLowerCase() || null;
    if (!currency && types.length === 0) throw missingParam('currency');
    const now = emu.nowFor(customer?.id ?? null);
    const intentData = optObject(params, 'setup_intent_data') ?? {};
    const intent = emu.store.put<SetupIntentRec>({
      id: newId('seti', 24),
      object: 'setup_intent',
      client_secret: null,
      created: now,
      customer: customer?.id ?? null,
      description: optString(intentData, 'description') ?? null,
      last_setup_error: null,
      livemode: false,
      metadata: mergeMetadata({}, intentData),
      next_action: null,
      payment_method: null,
      payment_method_types: ['card'],
      status: 'requires_payment_method',
      usage: 'off_session',
    });
    intent.client_secret = `${intent.id}_secret_${newId('x', 24).slice(2)}`;
    emu.emit('setup_intent.created', intent);
    return putSession(params, customer, now, {
      amount_subtotal: null,
      amount_total: null,
      currency,
      mode: 'setup',
      payment_method_collection: 'always',
      payment_status: 'no_payment_required',
      setup_intent: intent.id,
      _lineItems: [],
      _subscriptionData: { metadata: {} },
    });
  }

  /**
   * Payment mode charges once for one-time prices (a credit pack): a payment intent is made when the
   * customer pays, with `payment_intent_data`'s metadata, and the card is saved for later off-session
   * charges when `setup_future_usage` asks for it.
   */
  function createPaymentSession(params: Params): CheckoutSessionRec {
    if (params['subscription_data'] !== undefined)
      throw invalidParam('subscription_data', 'You can not pass `subscription_data` in `payment` mode.');
    const customerId = optString(params, 'customer') || null;
    const customer = customerId ? emu.store.get<CustomerRec>('customer', customerId, 'customer') : null;
    const lineItems = objectList(params, 'line_items').map((li, i) => {
      const price = lineItemPrice(li, i);
      if (price.recurring)
        throw invalidParam(
          `line_items[${i}][price]`,
          'You must specify only one-time prices when using `payment` mode.',
        );
      return {
        price: price.id,
        quantity: optInt(li, 'quantity') ?? 1,
        unit: price.unit_amount ?? 0,
        currency: price.currency,
      };
    });
    if (lineItems.length === 0) throw missingParam('line_items');
    const intentData = optObject(params, 'payment_intent_data') ?? {};
    const setupFutureUsage = optString(intentData, 'setup_future_usage') ?? null;
    if (setupFutureUsage !== null && setupFutureUsage !== 'off_session' && setupFutureUsage !== 'on_session')
      throw invalidParam('payment_intent_data[setup_future_usage]');
    const total = lineItems.reduce((s, li) => s + li.unit * li.quantity, 0);
    const now = emu.nowFor(customer?.id ?? null);
    return putSession(params, customer, now, {
      amount_subtotal: total,
      amount_total: total,
      currency: lineItems[0]?.currency ?? 'usd',
      mode: 'payment',
      payment_intent: null,
      payment_method_collection: 'always',
      payment_status: 'unpaid',
      setup_intent: null,
      _lineItems: lineItems.map((li) => ({ price: li.price, quantity: li.quantity })),
      _subscriptionData: { metadata: {} },
      _paymentIntentData: {
        metadata: mergeMetadata({}, intentData),
        setupFutureUsage,
        description: optString(intentData, 'description'),
      },
      total_details: { amount_discount: 0, amount_shipping: 0, amount_tax: 0 },
      ...taxFields(params, customer),
    });
  }

  router.post('/v1/checkout/sessions', ({ params }) => {
    const mode = reqString(params, 'mode');
    if (mode === 'setup') return emu.present(createSetupSession(params));
    if (mode === 'payment') return emu.present(createPaymentSession(params));
    if (mode !== 'subscription') throw invalidParam('mode');
    const customerId = optString(params, 'customer') || null;
    const customer = customerId ? emu.store.get<CustomerRec>('customer', customerId, 'customer') : null;
    const lineItems = objectList(params, 'line_items').map((li, i) => {
      const price = lineItemPrice(li, i);
      const metered = price.recurring?.usage_type === 'metered';
      const quantity = optInt(li, 'quantity');
      if (metered && quantity !== undefined) {
        throw invalidParam(
          `line_items[${i}][quantity]`,
          'Quantity should not be specified where usage_type is `metered`.',
        );
      }
      return {
        price: price.id,
        quantity: quantity ?? 1,
        // Metered usage is billed at the end of each period, never up front.
        unit: metered ? 0 : (price.unit_amount ?? 0),
        currency: price.currency,
        recurring: price.recurring,
      };
    });
    if (lineItems.length === 0) throw missingParam('line_items');
    // One-time prices ride along on the subscription's first invoice; the subscription itself needs one
    // recurring price.
    const recurring = lineItems.find((li) => li.recurring !== null)?.recurring;
    if (!recurring) throw invalidParam('line_items', 'Subscription mode needs at least one recurring price.');
    const subData = optObject(params, 'subscription_data') ?? {};
    const now = emu.nowFor(customer?.id ?? null);
    const terms = anchorAndTrial(subData, recurring, now);
    const s = putSession(params, customer, now, {
      amount_subtotal: 0,
      amount_total: 0,
      currency: lineItems[0]?.currency ?? 'usd',
      mode: 'subscription',
      payment_method_collection:
        (optString(params, 'payment_method_collection') as 'always' | 'if_required') || 'always',
      payment_status: 'unpaid',
      setup_intent: null,
      _lineItems: lineItems.map((li) => ({ price: li.price, quantity: li.quantity })),
      _subscriptionData: {
        ...terms,
        trialSettings: trialSettingsOf(subData),
        metadata: mergeMetadata({}, subData),
        description: optString(subData, 'description'),
      },
      _discount: checkoutDiscount(params),
      ...taxFields(params, customer),
    });
    // What the card pays now: a trial defers the recurring prices (one-time ones are charged at once, on the
    // first invoice), an anchor prorates them over the stub before it.
    const amounts = s._lineItems.map((li) => checkoutLineAmount(emu, s, li, now));
    s.amount_subtotal = amounts.reduce((sum, a) => sum + a.subtotal, 0);
    s.amount_total = amounts.reduce((sum, a) => sum + a.total, 0);
    s._amountsAt = now;
    return emu.present(s);
  });
  router.get('/v1/checkout/sessions/:id', ({ pathParams }) => emu.present(session(pathParams['id'])));
  router.get('/v1/setup_intents/:id', ({ pathParams }) =>
    emu.present(emu.store.get<SetupIntentRec>('setup_intent', pathParams['id'] ?? '')),
  );
  router.get('/v1/checkout/sessions/:id/line_items', ({ pathParams }) => {
    const s = session(pathParams['id']);
    return listOf(
      s._lineItems.map((li) => {
        const price = emu.price(li.price);
        // An anchored session's line shows the stub it charges (0 when not prorated), as of when the
        // session was last brought up to date (its completion, once complete); any other line its price.
        const full = price.recurring?.usage_type === 'metered' ? 0 : (price.unit_amount ?? 0) * li.quantity;
        const amounts = s._subscriptionData.billingCycleAnchor
          ? checkoutLineAmount(emu, s, li, s._amountsAt ?? s.created)
          : { subtotal: full, total: full };
        return {
          id: newId('li', 24),
          object: 'item',
          amount_subtotal: amounts.subtotal,
          amount_total: amounts.total,
          currency: price.currency,
          description: (emu.store.find(price.product) as { name?: string } | undefined)?.name ?? null,
          price: emu.present(price),
          quantity: li.quantity,
        };
      }),
      `/v1/checkout/sessions/${s.id}/line_items`,
    );
  });
  router.get('/v1/checkout/sessions', ({ params }) => {
    const customer = optString(params, 'customer');
    const subscription = optString(params, 'subscription');
    const items = emu.store
      .all<CheckoutSessionRec>('checkout.session')
      .map((s) => refreshCheckoutSession(emu, s))
      .filter(
        (s) => (!customer || s.customer === customer) && (!subscription || s.subscription === subscription),
      );
    const page = paginate(items, params, '/v1/checkout/sessions');
    return { ...page, data: page.data.map((s) => emu.present(s)) };
  });
  router.post('/v1/checkout/sessions/:id/expire', ({ pathParams }) => {
    const s = session(pathParams['id']);
    if (s.status !== 'open')
      throw invalidRequest(`Only Checkout Sessions with a status of open can be expired.`);
    s.status = 'expired';
    s.url = null;
    emu.emit('checkout.session.expired', s);
    return emu.present(s);
  });

  router.post('/v1/billing_portal/sessions', ({ params }) => {
    const customer = emu.store.get<CustomerRec>('customer', reqString(params, 'customer'), 'customer');
    const id = newId('bps', 24);
    const s = emu.store.put<PortalSessionRec>({
      id,
      object: 'billing_portal.session',
      configuration: optString(params, 'configuration') || 'bpc_emulator_default',
      created: emu.realNow(),
      customer: customer.id,
      flow: null,
      livemode: false,
      locale: null,
      on_behalf_of: null,
      return_url: optString(params, 'return_url') || null,
      url: `${emu.baseUrl}/portal/${id}`,
    });
    return emu.present(s);
  });
}

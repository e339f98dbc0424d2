import type Stripe from 'stripe';
import type { Emulator } from '../emulator';
import { invalidParam, invalidRequest, missingParam } from '../errors';
import type { Params } from '../form';
import { newId } from '../ids';
import { paginate } from '../list';
import { mergeMetadata, optBool, optInt, optObject, optString, reqString, stringList } from '../params';
import { parseTiers } from '../billing/tiers';
import type { Router } from '../router';
import type { MeterRec, PriceRec, ProductRec } from '../types';

function createProduct(emu: Emulator, params: Params, idParam?: string): ProductRec {
  const now = emu.realNow();
  const id = idParam || newId('prod', 14);
  if (emu.store.find(id)) throw invalidRequest(`Product already exists.`, 'id', 'resource_already_exists');
  const product: ProductRec = emu.store.put({
    id,
    object: 'product',
    active: optBool(params, 'active') ?? true,
    created: now,
    updated: now,
    default_price: null,
    description: optString(params, 'description') || null,
    images: stringList(params, 'images'),
    livemode: false,
    marketing_features: [],
    metadata: mergeMetadata({}, params),
    name: reqString(params, 'name'),
    package_dimensions: null,
    shippable: null,
    type: 'service',
    unit_label: optString(params, 'unit_label') || null,
    url: optString(params, 'url') || null,
  });
  emu.emit('product.created', product);
  return product;
}

function recurringFrom(emu: Emulator, params: Params): Stripe.Price.Recurring | null {
  const r = optObject(params, 'recurring');
  if (!r) return null;
  const interval = reqString(r, 'interval');
  if (!['day', 'week', 'month', 'year'].includes(interval)) throw invalidParam('recurring[interval]');
  const usageType = optString(r, 'usage_type') || 'licensed';
  if (usageType !== 'licensed' && usageType !== 'metered') throw invalidParam('recurring[usage_type]');
  const meter = optString(r, 'meter') || null;
  if (meter) emu.store.get<MeterRec>('billing.meter', meter, 'recurring[meter]');
  if (usageType === 'metered' && !meter) throw missingParam('recurring[meter]');
  return {
    interval: interval as Stripe.Price.Recurring.Interval,
    interval_count: optInt(r, 'interval_count') ?? 1,
    meter,
    trial_period_days: optInt(r, 'trial_period_days') ?? null,
    usage_type: usageType,
  };
}

function claimLookupKey(emu: Emulator, key: string | null, transfer: boolean, self?: string): void {
  if (!key) return;
  const holder = emu.store.all<PriceRec>('price').find((p) => p.lookup_key === key && p.id !== self);
  if (!holder) return;
  if (!transfer) {
    throw invalidRequest(
      `A price (\`${holder.id}\`) already uses that lookup key. Set \`transfer_lookup_key\` to true to move it.`,
      'lookup_key',
    );
  }
  holder.lookup_key = null;
}

export function registerCatalog(router: Router, emu: Emulator): void {
  router.post('/v1/products', ({ params }) =>
    emu.present(createProduct(emu, params, optString(params, 'id'))),
  );
  router.get('/v1/products/:id', ({ pathParams }) =>
    emu.present(emu.store.get('product', pathParams['id'] ?? '')),
  );
  router.post('/v1/products/:id', ({ pathParams, params }) => {
    const p = emu.store.get<ProductRec>('product', pathParams['id'] ?? '');
    const previous: Record<string, unknown> = {};
    for (const field of ['name', 'description', 'unit_label', 'url'] as const) {
      const v = optString(params, field);
      if (v === undefined) continue;
      previous[field] = p[field];
      if (field === 'name') p.name = v;
      else p[field] = v || null;
    }
    const active = optBool(params, 'active');
    if (active !== undefined) p.active = active;
    const defaultPrice = optString(params, 'default_price');
    if (defaultPrice !== undefined) p.default_price = defaultPrice ? emu.price(defaultPrice).id : null;
    p.metadata = mergeMetadata(p.metadata, params);
    p.updated = emu.realNow();
    emu.emit('product.updated', p, previous);
    return emu.present(p);
  });
  router.delete('/v1/products/:id', ({ pathParams }) => {
    const p = emu.store.get<ProductRec>('product', pathParams['id'] ?? '');
    if (emu.store.all<PriceRec>('price').some((pr) => pr.product === p.id)) {
      throw invalidRequest('This product cannot be deleted because it has one or more user-created prices.');
    }
    emu.store.remove(p.id);
    emu.emit('product.deleted', p);
    return { id: p.id, object: 'product', deleted: true };
  });
  router.get('/v1/products', ({ params }) => {
    const active = optBool(params, 'active');
    const ids = stringList(params, 'ids');
    const items = emu.store
      .all<ProductRec>('product')
      .filter(
        (p) => (active === undefined || p.active === active) && (ids.length === 0 || ids.includes(p.id)),
      );
    const page = paginate(items, params, '/v1/products');
    return { ...page, data: page.data.map((p) => emu.present(p)) };
  });

  router.post('/v1/prices', ({ params }) => {
    const productData = optObject(params, 'product_data');
    const productId = optString(params, 'product');
    let product: ProductRec;
    if (productId) product = emu.store.get<ProductRec>('product', productId, 'product');
    else if (productData) product = createProduct(emu, productData);
    else throw missingParam('product');
    const scheme = optString(params, 'billing_scheme') || 'per_unit';
    if (scheme !== 'per_unit' && scheme !== 'tiered') throw invalidParam('billing_scheme');
    const tiered = scheme === 'tiered';
    const tiersMode = optString(params, 'tiers_mode') || null;
    if (tiered && tiersMode !== 'graduated' && tiersMode !== 'volume') throw missingParam('tiers_mode');
    if (!tiered && tiersMode) throw invalidParam('tiers_mode', 'Only tiered prices take `tiers_mode`.');
    const tiers = tiered ? parseTiers(params) : undefined;
    const unitAmount = optInt(params, 'unit_amount');
    const unitAmountDecimal = optString(params, 'unit_amount_decimal') || null;
    if (tiered && (unitAmount !== undefined || unitAmountDecimal !== null))
      throw invalidParam('unit_amount', 'Tiered prices take their amounts from `tiers`.');
    if (!tiered && unitAmount === undefined && unitAmountDecimal === null) throw missingParam('unit_amount');
    if (unitAmount !== undefined && unitAmount < 0) throw invalidParam('unit_amount');
    const lookupKey = optString(params, 'lookup_key') || null;
    claimLookupKey(emu, lookupKey, optBool(params, 'transfer_lookup_key') ?? false);
    const recurring = recurringFrom(emu, params);
    if (tiered && !recurring) throw invalidParam('billing_scheme', 'Tiered prices must be recurring.');
    const price: PriceRec = emu.store.put({
      id: newId('price', 24),
      object: 'price',
      active: optBool(params, 'active') ?? true,
      billing_scheme: scheme,
      created: emu.realNow(),
      currency: reqString(params, 'currency').toLowerCase(),
      custom_unit_amount: null,
      livemode: false,
      lookup_key: lookupKey,
      metadata: mergeMetadata({}, params),
      nickname: optString(params, 'nickname') || null,
      product: product.id,
      recurring,
      tax_behavior: 'unspecified',
      tiers_mode: tiersMode as Stripe.Price.TiersMode | null,
      ...(tiers ? { tiers } : {}),
      transform_quantity: null,
      type: recurring ? 'recurring' : 'one_time',
      unit_amount: unitAmount ?? (unitAmountDecimal ? Math.round(Number(unitAmountDecimal)) : null),
      unit_amount_decimal: unitAmountDecimal ?? (unitAmount !== undefined ? String(unitAmount) : null),
    });
    emu.emit('price.created', price);
    return emu.present(price);
  });
  router.get('/v1/prices/:id', ({ pathParams }) => emu.present(emu.price(pathParams['id'] ?? '')));
  router.post('/v1/prices/:id', ({ pathParams, params }) => {
    const price = emu.price(pathParams['id'] ?? '');
    const previous: Record<string, unknown> = {};
    const lookupKey = optString(params, 'lookup_key');
    if (lookupKey !== undefined) {
      claimLookupKey(emu, lookupKey || null, optBool(params, 'transfer_lookup_key') ?? false, price.id);
      previous['lookup_key'] = price.lookup_key;
      price.lookup_key = lookupKey || null;
    }
    const active = optBool(params, 'active');
    if (active !== undefined) {
      previous['active'] = price.active;
      price.active = active;
    }
    const nickname = optString(params, 'nickname');
    if (nickname !== undefined) price.nickname = nickname || null;
    price.metadata = mergeMetadata(price.metadata, params);
    emu.emit('price.updated', price, previous);
    return emu.present(price);
  });
  router.get('/v1/prices', ({ params }) => {
    const active = optBool(params, 'active');
    const product = optString(params, 'product');
    const type = optString(params, 'type');
    const lookupKeys = stringList(params, 'lookup_keys');
    const interval = optString(optObject(params, 'recurring') ?? {}, 'interval');
    const items = emu.store
      .all<PriceRec>('price')
      .filter(
        (p) =>
          (active === undefined || p.active === active) &&
          (!product || p.product === product) &&
          (!type || p.type === type) &&
          (lookupKeys.length === 0 || (p.lookup_key !== null && lookupKeys.includes(p.lookup_key))) &&
          (!interval || p.recurring?.interval === interval),
      );
    const page = paginate(items, params, '/v1/prices');
    return { ...page, data: page.data.map((p) => emu.present(p)) };
  });
}

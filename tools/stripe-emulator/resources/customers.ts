import type { Emulator } from '../emulator';
import { invalidParam, invalidRequest, missingParam } from '../errors';
import { newId } from '../ids';
import { paginate } from '../list';
import { mergeMetadata, optInt, optObject, optString, reqString } from '../params';
import type { Router } from '../router';
import type { CustomerBalanceTransactionRec, CustomerRec, TestClockRec } from '../types';
import { moveBalance } from '../billing/balance';
import { attachPaymentMethod, resolvePaymentMethod } from '../billing/payment-methods';
import { cancelSubscriptionNow } from '../billing/subscriptions';
import { clockForNewCustomer } from '../billing/test-clocks';
import type { SubscriptionRec } from '../types';

const EDITABLE = ['email', 'name', 'description', 'phone'] as const;

function matchesQuery(c: CustomerRec, query: string): boolean {
  // Stripe's search language, the subset engines use: `field:'value'` clauses joined by AND or OR.
  const clauses = query.split(/\s+(AND|OR)\s+/i);
  let result: boolean | null = null;
  let op = 'AND';
  for (const part of clauses) {
    if (/^(AND|OR)$/i.test(part)) {
      op = part.toUpperCase();
      continue;
    }
    const m = /^(-)?(\w+)(?:\[['"]([^'"]+)['"]\])?(:|~)['"]?(.*?)['"]?$/.exec(part.trim());
    if (!m) throw invalidRequest(`Search query is invalid: ${query}`, 'query');
    const [, negate, field, metaKey, operator, value] = m;
    let actual: string | null | undefined;
    if (field === 'metadata' && metaKey) actual = c.metadata[metaKey];
    else if (field === 'email' || field === 'name' || field === 'phone' || field === 'description')
      actual = c[field];
    else
      throw invalidRequest(
        `Field '${field ?? ''}' is an unsupported search field for customer search.`,
        'query',
      );
    let hit =
      operator === '~'
        ? (actual ?? '').toLowerCase().includes((value ?? '').toLowerCase())
        : actual === value;
    if (negate) hit = !hit;
    result = result === null ? hit : op === 'AND' ? result && hit : result || hit;
  }
  return result ?? false;
}

export function registerCustomers(router: Router, emu: Emulator): void {
  router.post('/v1/customers', ({ params }) => {
    const requestedClock = optString(params, 'test_clock') || null;
    if (requestedClock) emu.store.get<TestClockRec>('test_helpers.test_clock', requestedClock, 'test_clock');
    const clockId = clockForNewCustomer(emu, requestedClock, optString(params, 'email') || null);
    const customer: CustomerRec = emu.store.put({
      id: newId('cus', 14),
      object: 'customer',
      created: emu.clockTime(clockId),
      livemode: false,
      email: optString(params, 'email') || null,
      name: optString(params, 'name') || null,
      description: optString(params, 'description') || null,
      phone: optString(params, 'phone') || null,
      metadata: mergeMetadata({}, params),
      balance: 0,
      delinquent: false,
      currency: null,
      invoice_prefix: newId('x', 8).slice(2).toUpperCase(),
      default_source: null,
      invoice_settings: {
        custom_fields: null,
        default_payment_method: null,
        footer: null,
        rendering_options: null,
      },
      test_clock: clockId,
      _invoiceSeq: 0,
    });
    emu.emit('customer.created', customer);
    const pmRef = optString(params, 'payment_method');
    if (pmRef) attachPaymentMethod(emu, resolvePaymentMethod(emu, pmRef, 'payment_method'), customer);
    const defaultPm = optString(optObject(params, 'invoice_settings') ?? {}, 'default_payment_method');
    if (defaultPm) {
      const pm = resolvePaymentMethod(emu, defaultPm, 'invoice_settings[default_payment_method]');
      if (pm.customer !== customer.id) attachPaymentMethod(emu, pm, customer);
      customer.invoice_settings.default_payment_method = pm.id;
    }
    return emu.present(customer);
  });

  router.get('/v1/customers/search', ({ params }) => {
    const query = reqString(params, 'query');
    const data = emu.store
      .all<CustomerRec>('customer')
      .filter((c) => !c.deleted && matchesQuery(c, query))
      .map((c) => emu.present(c));
    const page = paginate(
      data as { id: string }[],
      { limit: params['limit'] ?? '10' },
      '/v1/customers/search',
    );
    return {
      object: 'search_result',
      data: page.data,
      has_more: page.has_more,
      next_page: null,
      url: page.url,
    };
  });

  /** A credit (negative) or debit (positive) of the customer's balance, which pays their next invoices. */
  router.post('/v1/customers/:id/balance_transactions', ({ pathParams, params }) => {
    const c = emu.store.get<CustomerRec>('customer', pathParams['id'] ?? '');
    if (c.deleted) throw invalidRequest(`No such customer: '${c.id}'`, 'id', 'resource_missing');
    const amount = optInt(params, 'amount');
    if (amount === undefined) throw missingParam('amount');
    const currency = reqString(params, 'currency').toLowerCase();
    if (c.currency && c.currency !== currency)
      throw invalidParam('currency', `The customer's balance is in ${c.currency}.`);
    const previous = { balance: c.balance };
    const txn = moveBalance(emu, c, amount, 'adjustment', {
      currency,
      description: optString(params, 'description') || null,
      metadata: mergeMetadata({}, params),
    });
    emu.emit('customer.updated', c, previous);
    return emu.present(txn);
  });

  router.get('/v1/customers/:id/balance_transactions', ({ pathParams, params }) => {
    const c = emu.store.get<CustomerRec>('customer', pathParams['id'] ?? '');
    const items = emu.store
      .all<CustomerBalanceTransactionRec>('customer_balance_transaction')
      .filter((t) => t.customer === c.id);
    const page = paginate(items, params, `/v1/customers/${c.id}/balance_transactions`);
    return { ...page, data: page.data.map((t) => emu.present(t)) };
  });

  router.get('/v1/customers/:id', ({ pathParams }) =>
    emu.present(emu.store.get('customer', pathParams['id'] ?? '')),
  );

  router.post('/v1/customers/:id', ({ pathParams, params }) => {
    const c = emu.store.get<CustomerRec>('customer', pathParams['id'] ?? '');
    if (c.deleted) throw invalidRequest(`No such customer: '${c.id}'`, 'id', 'resource_missing');
    const previous: Record<string, unknown> = {};
    for (const field of EDITABLE) {
      const v = optString(params, field);
      if (v !== undefined && (v || null) !== c[field]) {
        previous[field] = c[field];
        c[field] = v || null;
      }
    }
    if (params['metadata'] !== undefined) {
      previous['metadata'] = c.metadata;
      c.metadata = mergeMetadata(c.metadata, params);
    }
    const settings = optObject(params, 'invoice_settings');
    const defaultPm = settings ? optString(settings, 'default_payment_method') : undefined;
    if (defaultPm !== undefined) {
      previous['invoice_settings'] = { ...c.invoice_settings };
      if (defaultPm === '') c.invoice_settings.default_payment_method = null;
      else {
        const pm = resolvePaymentMethod(emu, defaultPm, 'invoice_settings[default_payment_method]');
        if (pm.customer !== c.id) {
          throw invalidRequest(
            `No such PaymentMethod: '${pm.id}'; It's possible this PaymentMethod exists on one of your connected accounts, in which case you should retry this request on that connected account.`,
            'invoice_settings[default_payment_method]',
            'resource_missing',
          );
        }
        c.invoice_settings.default_payment_method = pm.id;
      }
    }
    const address = optObject(params, 'address');
    if (address) {
      // The billing address Stripe Tax reads its rate from (Checkout sets it from the page).
      previous['address'] = c.address ?? null;
      const field = (k: string) => optString(address, k) || null;
      c.address = {
        country: field('country')?.toUpperCase() ?? null,
        line1: field('line1'),
        line2: field('line2'),
        city: field('city'),
        postal_code: field('postal_code'),
        state: field('state'),
      };
    }
    if (Object.keys(previous).length > 0) emu.emit('customer.updated', c, previous);
    return emu.present(c);
  });

  router.delete('/v1/customers/:id', ({ pathParams }) => {
    const c = emu.store.get<CustomerRec>('customer', pathParams['id'] ?? '');
    if (!c.deleted) {
      for (const sub of emu.store.all<SubscriptionRec>('subscription')) {
        if (sub.customer === c.id && sub.status !== 'canceled' && sub.status !== 'incomplete_expired') {
          cancelSubscriptionNow(emu, sub, 'cancellation_requested');
        }
      }
      emu.emit('customer.deleted', c);
      c.deleted = true;
    }
    return { id: c.id, object: 'customer', deleted: true };
  });

  router.get('/v1/customers', ({ params }) => {
    const email = optString(params, 'email');
    const clock = optString(params, 'test_clock');
    const items = emu.store
      .all<CustomerRec>('customer')
      .filter(
        (c) => !c.deleted && (email === undefined || c.email === email) && (!clock || c.test_clock === clock),
      );
    const page = paginate(items, params, '/v1/customers');
    return { ...page, data: page.data.map((c) => emu.present(c)) };
  });
}

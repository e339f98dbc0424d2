import { notFound, validationErrors } from './errors';
import { lagoId, nowIso } from './ids';
import { requireRoot, text } from './params';
import type { Router } from './router';
import type { LagoStore } from './store';
import type { CustomerRec } from './types';

// Lago accepts a comma-separated list of addresses in `email`.
const EMAIL = /^[^\s@,]+@[^\s@,]+$/;

export const presentCustomer = (c: CustomerRec) => ({ ...c, metadata: [], integration_customers: [] });

/** Lago creates the customer a subscription names when it does not exist yet (API context only). */
export function findOrCreateCustomer(store: LagoStore, externalId: string): CustomerRec {
  const existing = store.customers.get(externalId);
  if (existing) return existing;
  const now = nowIso();
  const sequentialId = store.nextSequentialId();
  const customer: CustomerRec = {
    lago_id: lagoId(),
    sequential_id: sequentialId,
    slug: `LAG-${String(sequentialId).padStart(3, '0')}`,
    external_id: externalId,
    name: null,
    email: null,
    currency: null,
    applicable_timezone: 'UTC',
    created_at: now,
    updated_at: now,
  };
  store.customers.set(externalId, customer);
  return customer;
}

export function registerCustomers(router: Router): void {
  // Create or update: Lago upserts on external_id and changes only the fields the request carries.
  router.on('POST', '/api/v1/customers', ({ store, body }) => {
    const input = requireRoot(body, 'customer');
    const externalId = text(input.external_id);
    if (!externalId) throw validationErrors({ external_id: ['value_is_mandatory'] });
    const email = text(input.email);
    if (email && !email.split(',').every((e) => EMAIL.test(e.trim()))) {
      throw validationErrors({ email: ['invalid_email_format'] });
    }
    const customer = findOrCreateCustomer(store, externalId);
    if ('name' in input) customer.name = text(input.name);
    if ('email' in input) customer.email = email;
    if ('currency' in input) customer.currency = text(input.currency);
    customer.updated_at = nowIso();
    return { body: { customer: presentCustomer(customer) } };
  });

  router.on('GET', '/api/v1/customers/:externalId', ({ store, params }) => {
    const customer = store.customers.get(params.externalId ?? '');
    if (!customer) throw notFound('customer');
    return { body: { customer: presentCustomer(customer) } };
  });
}

import { defineRoute } from '../../routing/define-route';
import { createCustomer, getCustomer } from './handlers';
import { createCustomerBody, customerResponse, customerRecordResponse } from './schemas';

export const customerRoutes = [
  defineRoute({
    method: 'post',
    path: '/stripe/create_customer',
    rateLimit: 'stripe',
    summary: "Create or retrieve the caller's billing customer",
    tags: ['customers'],
    access: 'viewer',
    body: createCustomerBody,
    errors: {
      409: 'Another customer holds the email (constraint_violation)',
      502: 'Stripe could not make the Stripe customer (payment_provider_error); the record is kept and the next call finishes it',
    },
    response: customerResponse,
    handler: createCustomer,
  }),
  defineRoute({
    method: 'get',
    path: '/stripe/customer',
    summary: "The caller's billing customer",
    tags: ['customers'],
    access: 'viewer',
    errors: { 404: 'The caller has no customer yet' },
    response: customerRecordResponse,
    handler: getCustomer,
  }),
];

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

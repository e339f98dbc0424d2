import { defineRoute } from '../../routing/define-route';
import {
  endCustomerCommitment,
  getCustomerCommitment,
  getOwnCommitment,
  setCustomerCommitment,
} from './handlers';
import { commitmentBody, commitmentsResponse, customerCommitmentParams } from './schemas';

const path = '/admin/billing/customers/:email/commitment';

/** Minimum commitments: the customer sees theirs; an admin sets, reads and ends a customer's. */
export const commitmentRoutes = [
  defineRoute({
    method: 'get',
    path: '/billing/commitment',
    summary: "The caller's minimum commitment, those ended, and each period settled with its true-up",
    tags: ['billing'],
    access: 'viewer',
    response: commitmentsResponse,
    handler: getOwnCommitment,
  }),
  defineRoute({
    method: 'get',
    path,
    summary: "A customer's minimum commitment, those ended, and each period settled with its true-up",
    tags: ['admin'],
    access: 'admin',
    params: customerCommitmentParams,
    errors: { 404: 'No customer with that email' },
    response: commitmentsResponse,
    handler: getCustomerCommitment,
  }),
  defineRoute({
    method: 'post',
    path,
    status: 201,
    summary:
      'Give a customer a minimum per billing period from their next period (or the current one, whole), in ' +
      'their currency: a period ' +
      'billed less is trued up once it ends, on an invoice of its own; audited',
    tags: ['admin'],
    access: 'admin',
    params: customerCommitmentParams,
    body: commitmentBody,
    fields: { minimumCents: 'body.minimum_cents', fromCurrentPeriod: 'body.from' },
    errors: {
      400: 'The minimum is not a whole number of cents from 1 to 1,000,000,000, or the first period is neither the next nor the current one (validation_failed)',
      404: 'No customer with that email, or no live subscription',
      409: 'A live commitment already, or an ended one that still covers the current period asked for (commitment_exists), or no billing period yet (commitment_needs_period)',
    },
    response: commitmentsResponse,
    handler: setCustomerCommitment,
  }),
  defineRoute({
    method: 'delete',
    path,
    summary:
      "End a customer's minimum commitment at the end of the current period (which still owes it); audited",
    tags: ['admin'],
    access: 'admin',
    params: customerCommitmentParams,
    errors: { 404: 'No customer with that email, no live subscription, or no live commitment' },
    response: commitmentsResponse,
    handler: endCustomerCommitment,
  }),
];

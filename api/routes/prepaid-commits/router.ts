import { defineRoute } from '../../routing/define-route';
import { getCustomerPrepaidCommits, getOwnPrepaidCommits, sellCustomerPrepaidCommit } from './handlers';
import {
  customerPrepaidCommitParams,
  prepaidCommitBody,
  prepaidCommitResponse,
  prepaidCommitsResponse,
} from './schemas';

const path = '/admin/billing/customers/:email/prepaid-commits';

/** Prepaid commits: the customer sees theirs; an admin sells one and reads a customer's. */
export const prepaidCommitRoutes = [
  defineRoute({
    method: 'get',
    path: '/billing/prepaid-commits',
    summary: "The caller's prepaid commits, newest first, with what each term has drawn",
    tags: ['billing'],
    access: 'viewer',
    response: prepaidCommitsResponse,
    handler: getOwnPrepaidCommits,
  }),
  defineRoute({
    method: 'get',
    path,
    summary: "A customer's prepaid commits, newest first, with what each term has drawn",
    tags: ['admin'],
    access: 'admin',
    params: customerPrepaidCommitParams,
    errors: { 404: 'No customer with that email' },
    response: prepaidCommitsResponse,
    handler: getCustomerPrepaidCommits,
  }),
  defineRoute({
    method: 'post',
    path,
    status: 201,
    summary:
      'Sell a customer a prepaid commit for a term of billing periods (the current one first), in their ' +
      'currency: charged to their card at once and credited to their Stripe balance, which pays their ' +
      'invoices; what is left when the term ends expires or rolls over; audited',
    tags: ['admin'],
    access: 'admin',
    params: customerPrepaidCommitParams,
    body: prepaidCommitBody,
    fields: { amountCents: 'body.amount_cents', periods: 'body.periods', unused: 'body.unused' },
    errors: {
      400: 'The amount is not a whole number of cents from 50 to 1,000,000,000, the term not 1 to 36 periods, or what is left at the end neither expires nor rolls over (validation_failed)',
      404: 'No customer with that email, or no live subscription',
      409: 'A prepaid commit funding or in its term already (prepaid_commit_exists), or no billing period yet (commitment_needs_period)',
    },
    response: prepaidCommitResponse,
    handler: sellCustomerPrepaidCommit,
  }),
];

import { defineRoute } from '../../routing/define-route';
import { getCommitmentRevenue, getUsageRevenue } from './handlers';
import {
  commitmentRevenueQuery,
  commitmentRevenueResponse,
  usageRevenueQuery,
  usageRevenueResponse,
} from './schemas';

/** What usage billed per type and model, as the rollup rates it for Stripe (docs/pricing.md). */
export const adminUsageRevenueRoutes = [
  defineRoute({
    method: 'get',
    path: '/admin/revenue/usage',
    summary:
      'Usage billed per line of the rate cards (type and model) for the billing periods that began in ' +
      '?month (default: this month), in one currency, with the customers on each line',
    tags: ['admin', 'revenue'],
    access: 'admin',
    query: usageRevenueQuery,
    fields: { month: 'query.month' },
    response: usageRevenueResponse,
    handler: getUsageRevenue,
  }),
  defineRoute({
    method: 'get',
    path: '/admin/revenue/commitments',
    summary:
      'Minimum commitments committed against consumed: what live ones promise a month, and for the periods ' +
      'that ended in ?month (default: this month), the minimums, what they billed and the true-ups, in one currency; ' +
      'and prepaid commits: those in their term, and for those whose term ended in the month, paid against drawn, ' +
      'expired and rolled over',
    tags: ['admin', 'revenue'],
    access: 'admin',
    query: commitmentRevenueQuery,
    fields: { month: 'query.month' },
    response: commitmentRevenueResponse,
    handler: getCommitmentRevenue,
  }),
];

import { defineRoute } from '../../routing/define-route';
import { getPeriodSummary } from './handlers';
import { periodSummaryResponse } from './schemas';

export const billingSummaryRoutes = [
  defineRoute({
    method: 'get',
    path: '/billing/period_summary',
    summary:
      "The caller's billing period: its usage per UTC day and type, and the estimate of the next invoice (plan, usage so far, the coupon's discount; before tax)",
    tags: ['usage', 'billing'],
    access: 'viewer',
    response: periodSummaryResponse,
    handler: getPeriodSummary,
  }),
];

import { defineRoute } from '../../route';
import { getPlan, listPlans, listServices } from './handlers';
import { planParams } from './schemas';

export const planRoutes = [
  defineRoute({
    method: 'get',
    path: '/subscriptions/plans',
    summary: 'Plans on sale, with prices in dollars and cents',
    tags: ['plans'],
    access: 'public',
    handler: listPlans,
  }),
  defineRoute({
    method: 'get',
    path: '/subscriptions/plans/:plan_id',
    summary: 'One plan by its code',
    tags: ['plans'],
    access: 'public',
    params: planParams,
    errors: { 404: 'No such plan' },
    handler: getPlan,
  }),
  defineRoute({
    method: 'get',
    path: '/subscriptions/services',
    summary: 'Services a plan can grant',
    tags: ['plans'],
    access: 'public',
    handler: listServices,
  }),
];

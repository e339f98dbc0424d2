import { defineRoute } from '../../route';
import { getPlan, listPlans, listServices } from './handlers';
import {
  archivePlanHandler,
  createPlanHandler,
  migratePlanHandler,
  updatePlanHandler,
} from './admin-handlers';
import { createPlanBody, migratePlanBody, planParams, updatePlanBody } from './schemas';

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
  defineRoute({
    method: 'post',
    path: '/subscriptions/plans',
    summary: 'Create a plan (version 1); its Stripe prices are synced in the background',
    tags: ['plans', 'admin'],
    access: 'admin',
    body: createPlanBody,
    status: 201,
    errors: { 409: 'A plan with this id exists' },
    handler: createPlanHandler,
  }),
  defineRoute({
    method: 'put',
    path: '/subscriptions/plans/:plan_id',
    summary:
      'Change a plan; with subscribers, new terms make a new version and current subscribers keep theirs',
    tags: ['plans', 'admin'],
    access: 'admin',
    params: planParams,
    body: updatePlanBody,
    errors: { 404: 'No such plan', 409: 'The plan is archived' },
    handler: updatePlanHandler,
  }),
  defineRoute({
    method: 'delete',
    path: '/subscriptions/plans/:plan_id',
    summary: 'Archive a plan: no new subscriptions; existing subscribers keep it',
    tags: ['plans', 'admin'],
    access: 'admin',
    params: planParams,
    errors: { 404: 'No such plan' },
    handler: archivePlanHandler,
  }),
  defineRoute({
    method: 'post',
    path: '/subscriptions/plans/:plan_id/migrate',
    summary:
      "Move grandfathered subscribers onto the plan's current version (at their period end by default)",
    tags: ['plans', 'admin'],
    access: 'admin',
    params: planParams,
    body: migratePlanBody,
    errors: { 404: 'No such plan' },
    handler: migratePlanHandler,
  }),
];

import { defineRoute } from '../../route';
import { checkAccess, myAccess, userAccess } from './handlers';
import { serviceParams, userParams } from './schemas';

export const accessRoutes = [
  defineRoute({
    method: 'get',
    path: '/subscriptions/my-access',
    summary: "What the caller's subscription grants now",
    tags: ['access'],
    access: 'viewer',
    handler: myAccess,
  }),
  defineRoute({
    method: 'post',
    path: '/subscriptions/check-access/:service',
    summary: 'May the caller use this service now, and why not',
    tags: ['access'],
    access: 'viewer',
    params: serviceParams,
    handler: checkAccess,
  }),
  defineRoute({
    method: 'get',
    path: '/subscriptions/admin/user-access/:user_id',
    summary: "What a user's subscription grants (by identity-provider id or customer id)",
    tags: ['access', 'admin'],
    access: 'admin',
    params: userParams,
    errors: { 404: 'No such user' },
    handler: userAccess,
  }),
];

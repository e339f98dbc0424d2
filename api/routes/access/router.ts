import { defineRoute } from '../../routing/define-route';
import { checkAccess, myAccess, userAccess } from './handlers';
import {
  checkAccessQuery,
  serviceParams,
  userParams,
  accessResponse,
  checkAccessResponse,
  userAccessResponse,
} from './schemas';

export const accessRoutes = [
  defineRoute({
    method: 'get',
    path: '/subscriptions/my-access',
    summary: "What the caller's subscription grants now",
    tags: ['access'],
    access: 'viewer',
    response: accessResponse,
    handler: myAccess,
  }),
  defineRoute({
    method: 'post',
    path: '/subscriptions/check-access/:service',
    accessLane: true,
    bare: true,
    summary:
      'May the caller (or, for the gateway, the customer named by customer_email or user_id) use this service now, and why not; ' +
      'with subject, whether that subject of their usage (a project, key or end user) has room in its budget',
    tags: ['access'],
    access: 'viewer|billing-gateway',
    params: serviceParams,
    query: checkAccessQuery,
    fields: { customerRef: 'query.user_id' },
    errors: {
      400: 'The gateway named no customer',
      403: 'A person named another customer',
    },
    response: checkAccessResponse,
    handler: checkAccess,
  }),
  defineRoute({
    method: 'get',
    path: '/subscriptions/admin/user-access/:user_id',
    summary: "What a user's subscription grants (by identity-provider id or customer id)",
    tags: ['access', 'admin'],
    access: 'admin|billing-gateway',
    params: userParams,
    errors: { 404: 'No such user' },
    response: userAccessResponse,
    handler: userAccess,
  }),
];

import { defineRoute } from '../../routing/define-route';
import { getDunningPolicy, putDunningPolicy } from './handlers';
import { dunningPolicyBody, dunningPolicyResponse } from './schemas';

const tags = ['admin'];

export const dunningRoutes = [
  defineRoute({
    method: 'get',
    path: '/admin/billing/dunning-policy',
    summary: 'The policy new dunning runs start with: retry days, grace before suspension, final action',
    tags,
    access: 'admin',
    response: dunningPolicyResponse,
    handler: getDunningPolicy,
  }),
  defineRoute({
    method: 'put',
    path: '/admin/billing/dunning-policy',
    summary: 'Sets the dunning policy for runs that start from now on (running ones keep theirs); audited',
    tags,
    access: 'admin',
    body: dunningPolicyBody,
    fields: { policy: 'body' },
    response: dunningPolicyResponse,
    errors: { 400: 'The policy does not validate (days must increase, at most 60)' },
    handler: putDunningPolicy,
  }),
];

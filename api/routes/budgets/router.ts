import { defineRoute } from '../../routing/define-route';
import { deleteOwnBudget, getCustomerBudgets, getOwnBudgets, putOwnBudget } from './handlers';
import { budgetBody, budgetsResponse, customerBudgetParams, subjectParams } from './schemas';

const tags = ['billing'];

/** Budgets inside an account: the customer caps subjects of their usage; an admin reads them. */
export const budgetRoutes = [
  defineRoute({
    method: 'get',
    path: '/billing/budgets',
    summary: "The caller's budgets, one per subject of their usage, each with what it used in its window",
    tags,
    access: 'viewer',
    response: budgetsResponse,
    handler: getOwnBudgets,
  }),
  defineRoute({
    method: 'put',
    path: '/billing/budgets/:subject',
    summary:
      "Cap one subject of the caller's usage (a project, key or end user named by usage events' subject) at " +
      'limit_units per UTC day or per billing period, with an optional alert: events past it are refused ' +
      '(budget_reached) from the next report on, counting what it already used in the window',
    tags,
    access: 'viewer',
    params: subjectParams,
    body: budgetBody,
    fields: {
      subject: 'params.subject',
      per: 'body.per',
      limitUnits: 'body.limit_units',
      alertPercent: 'body.alert_percent',
    },
    errors: {
      404: 'The caller is not a customer yet',
      409: 'too_many_budgets: the caller keeps the most budgets allowed',
    },
    response: budgetsResponse,
    handler: putOwnBudget,
  }),
  defineRoute({
    method: 'delete',
    path: '/billing/budgets/:subject',
    summary: "Remove a subject's budget: its events are held only to the account's limits again",
    tags,
    access: 'viewer',
    params: subjectParams,
    errors: { 404: 'No budget for that subject (budget_not_found), or the caller is not a customer' },
    response: budgetsResponse,
    handler: deleteOwnBudget,
  }),
  defineRoute({
    method: 'get',
    path: '/admin/billing/customers/:email/budgets',
    summary: "A customer's budgets, one per subject of their usage, each with what it used in its window",
    tags: ['admin'],
    access: 'admin',
    params: customerBudgetParams,
    errors: { 404: 'No customer with that email' },
    response: budgetsResponse,
    handler: getCustomerBudgets,
  }),
];

import { defineRoute } from '../../routing/define-route';
import { getMargins, getModelCosts, postModelCostOverride, putMarginFloor } from './handlers';
import {
  marginFloorBody,
  marginsQuery,
  marginsResponse,
  modelCostOverrideBody,
  modelCostsResponse,
} from './schemas';

const tags = ['admin', 'revenue'];

/** What model calls cost the platform and the margin they leave (docs/margins.md). */
export const adminMarginRoutes = [
  defineRoute({
    method: 'get',
    path: '/admin/revenue/margins',
    summary:
      "A month's revenue, provider cost and margin per model, per plan and per customer (worst first), in " +
      "the revenue reports' currency: usage costed at the rate of its day, customers' own keys at nothing",
    tags,
    access: 'admin',
    query: marginsQuery,
    fields: { month: 'query.month' },
    errors: {
      409: 'The reporting currency is not USD and no rate converts USD into it (exchange_rate_missing)',
    },
    response: marginsResponse,
    handler: getMargins,
  }),
  defineRoute({
    method: 'get',
    path: '/admin/model-costs',
    summary:
      'What each model costs the platform per million tokens by kind today, what is scheduled, and every ' +
      "rate's history: the repository's dated catalogue and the admins' overrides",
    tags,
    access: 'admin',
    response: modelCostsResponse,
    handler: getModelCosts,
  }),
  defineRoute({
    method: 'post',
    path: '/admin/model-costs',
    status: 201,
    summary:
      'Set a negotiated rate for a model from a day to come (tomorrow unless later); audited. A day ' +
      'already begun keeps its cost: history is never rewritten',
    tags,
    access: 'admin',
    body: modelCostOverrideBody,
    fields: { valid_from: 'body.valid_from', provider: 'body.provider' },
    errors: {
      409: 'A day already begun (cost_history_fixed)',
    },
    response: modelCostsResponse,
    handler: postModelCostOverride,
  }),

  defineRoute({
    method: 'put',
    path: '/admin/model-costs/margin-floor',
    summary:
      "Set the least margin, in percent of the price, a plan's rate card may sell a model's tokens at; a card " +
      'below it is refused (409 margin_below_floor) unless published with margin_override_reason; audited',
    tags,
    access: 'admin',
    body: marginFloorBody,
    response: modelCostsResponse,
    handler: putMarginFloor,
  }),
];

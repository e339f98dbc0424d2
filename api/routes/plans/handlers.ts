import { notFound } from '../../../domain/errors';
import { preferredLanguages } from '../../http/accept-language';
import type { HandlerInput } from '../../routing/define-route';
import {
  displayCurrency,
  findCurrentPlan,
  plansIn,
  pricedIn,
  serviceList,
} from '../../../services/plans/list-plans';
import { planDto } from './dto';
import type { planParams, plansQuery } from './schemas';

type Public<P = undefined> = HandlerInput<P, typeof plansQuery, undefined, 'public'>;

const callerOf = ({ identity, query, ctx }: Public<unknown>) => ({
  identity,
  asked: query.currency,
  languages: preferredLanguages(ctx.get('accept-language')),
});

export async function listPlans(input: Public) {
  const em = input.deps.orm.em.fork();
  return (await plansIn(em, await displayCurrency(em, callerOf(input)))).map(planDto);
}

export async function getPlan(input: Public<typeof planParams>) {
  const em = input.deps.orm.em.fork();
  const plan = await findCurrentPlan(em, input.params.plan_id);
  if (!plan || plan.status !== 'active') throw notFound('plan', input.params.plan_id);
  return planDto(pricedIn(plan, await displayCurrency(em, callerOf(input))));
}

export async function listServices() {
  return serviceList();
}

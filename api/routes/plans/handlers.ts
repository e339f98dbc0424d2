import { notFound } from '../../../domain/errors';
import type { HandlerInput } from '../../routing/define-route';
import { findCurrentPlan, listCurrentPlans, planDto, serviceList } from '../../../services/plans/list-plans';
import type { planParams } from './schemas';

type Public<P = undefined> = HandlerInput<P, undefined, undefined, 'public'>;

export async function listPlans({ deps }: Public) {
  return (await listCurrentPlans(deps.orm.em.fork())).map(planDto);
}

export async function getPlan({ deps, params }: Public<typeof planParams>) {
  const plan = await findCurrentPlan(deps.orm.em.fork(), params.plan_id);
  if (!plan || plan.status !== 'active') throw notFound('plan', params.plan_id);
  return planDto(plan);
}

export async function listServices() {
  return serviceList();
}

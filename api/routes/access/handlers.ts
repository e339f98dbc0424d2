import { checkAccessDuration, quotaDenials, secondsSince } from '../../../telemetry/api-metrics';
import { notFound } from '../../../domain/errors';
import type { HandlerInput } from '../../routing/define-route';
import { accessOfUser, checkAccess as decide, ownAccess } from '../../../services/access/check-access';
import { accessDecisionDto, accessDto } from './dto';
import type { checkAccessQuery, serviceParams, userParams } from './schemas';

export async function myAccess({ deps, identity }: HandlerInput<undefined, undefined, undefined, 'viewer'>) {
  return accessDto(await ownAccess(deps.orm.em, identity));
}

export async function checkAccess({
  deps,
  identity,
  params,
  query,
}: HandlerInput<typeof serviceParams, typeof checkAccessQuery, undefined, 'viewer|billing-gateway'>) {
  const start = process.hrtime.bigint();
  const ref = { email: query.customer_email ?? null, userId: query.user_id ?? null };
  const decision = await decide(deps.orm.em, identity, ref, params.service, query.subject);
  checkAccessDuration.observe({ allowed: String(decision.allowed) }, secondsSince(start));
  if (decision.reason === 'daily_quota_exhausted') {
    quotaDenials.inc({ plan: decision.tier ?? 'none', where: 'check_access' });
  }
  return accessDecisionDto(decision);
}

export async function userAccess({
  deps,
  params,
}: HandlerInput<typeof userParams, undefined, undefined, 'admin|billing-gateway'>) {
  const found = await accessOfUser(deps.orm.em, params.user_id);
  if (!found) throw notFound('user', params.user_id);
  return { user_id: found.customer.userId, ...accessDto(found.access) };
}

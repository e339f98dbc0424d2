import type { HandlerInput } from '../../routing/define-route';
import { addUsageType, listUsageTypes } from '../../../services/usage/usage-types';
import { usageTypeDto } from './dto';
import type { usageTypeBody } from './schemas';

export async function getUsageTypes({ deps }: HandlerInput<undefined, undefined, undefined, 'admin'>) {
  return { types: (await listUsageTypes(deps.orm.em.fork())).map(usageTypeDto) };
}

export async function postUsageType({
  deps,
  identity,
  body,
}: HandlerInput<undefined, undefined, typeof usageTypeBody, 'admin'>) {
  return usageTypeDto(await addUsageType(deps.orm.em.fork(), identity, body.code, body.description));
}

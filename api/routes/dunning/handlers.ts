import type { HandlerInput } from '../../routing/define-route';
import { clockOf } from '../../../domain/clock';
import { currentDunningPolicy, setDunningPolicy } from '../../../services/dunning/dunning-policy';
import type { dunningPolicyBody } from './schemas';

function dto(p: Awaited<ReturnType<typeof currentDunningPolicy>>) {
  return {
    retry_days: p.policy.retryDays,
    suspend_after_days: p.policy.suspendAfterDays,
    final_action: p.policy.finalAction,
    is_default: p.updatedAt === null,
    updated_at: p.updatedAt?.toISOString() ?? null,
    updated_by: p.updatedBy,
  };
}

export async function getDunningPolicy({ deps }: HandlerInput<undefined, undefined, undefined, 'admin'>) {
  return dto(await currentDunningPolicy(deps.orm.em.fork()));
}

export async function putDunningPolicy({
  deps,
  identity,
  body,
}: HandlerInput<undefined, undefined, typeof dunningPolicyBody, 'admin'>) {
  const saved = await setDunningPolicy(
    deps.orm.em.fork(),
    identity,
    {
      retryDays: body.retry_days,
      suspendAfterDays: body.suspend_after_days,
      finalAction: body.final_action,
    },
    clockOf(deps).now(),
  );
  return dto(saved);
}

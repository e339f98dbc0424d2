import type { HandlerInput } from '../../routing/define-route';
import {
  customerPrepaidCommits,
  ownPrepaidCommits,
  sellPrepaidCommit,
} from '../../../services/commitments/prepaid-commits';
import type { UnusedCommit } from '../../../domain/prepaid-commits';
import { prepaidCommitDto } from './dto';
import type { customerPrepaidCommitParams, prepaidCommitBody } from './schemas';

export async function getOwnPrepaidCommits({
  deps,
  identity,
}: HandlerInput<undefined, undefined, undefined, 'viewer'>) {
  return { commits: (await ownPrepaidCommits(deps, identity)).map(prepaidCommitDto) };
}

export async function getCustomerPrepaidCommits({
  deps,
  params,
}: HandlerInput<typeof customerPrepaidCommitParams, undefined, undefined, 'admin'>) {
  return { commits: (await customerPrepaidCommits(deps, params.email)).map(prepaidCommitDto) };
}

export async function sellCustomerPrepaidCommit({
  deps,
  identity,
  params,
  body,
}: HandlerInput<typeof customerPrepaidCommitParams, undefined, typeof prepaidCommitBody, 'admin'>) {
  const view = await sellPrepaidCommit(deps, identity, params.email, {
    amountCents: body.amount_cents,
    periods: body.periods,
    unused: body.unused as UnusedCommit,
  });
  return { commit: prepaidCommitDto(view) };
}

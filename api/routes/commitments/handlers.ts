import type { HandlerInput } from '../../routing/define-route';
import {
  customerCommitments,
  endCommitmentAsAdmin,
  ownCommitments,
  setCommitment,
} from '../../../services/commitments/commitments';
import { commitmentsDto } from './dto';
import type { commitmentBody, customerCommitmentParams } from './schemas';

export async function getOwnCommitment({
  deps,
  identity,
}: HandlerInput<undefined, undefined, undefined, 'viewer'>) {
  return commitmentsDto(await ownCommitments(deps, identity));
}

export async function getCustomerCommitment({
  deps,
  params,
}: HandlerInput<typeof customerCommitmentParams, undefined, undefined, 'admin'>) {
  return commitmentsDto(await customerCommitments(deps, params.email));
}

export async function setCustomerCommitment({
  deps,
  identity,
  params,
  body,
}: HandlerInput<typeof customerCommitmentParams, undefined, typeof commitmentBody, 'admin'>) {
  return commitmentsDto(
    await setCommitment(deps, identity, params.email, {
      minimumCents: body.minimum_cents,
      fromCurrentPeriod: body.from === 'current_period',
    }),
  );
}

export async function endCustomerCommitment({
  deps,
  identity,
  params,
}: HandlerInput<typeof customerCommitmentParams, undefined, undefined, 'admin'>) {
  return commitmentsDto(await endCommitmentAsAdmin(deps, identity, params.email));
}

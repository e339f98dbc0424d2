import type { HandlerInput } from '../../routing/define-route';
import { changeOwnSeats, changeSeatsAsAdmin } from '../../../services/subscriptions/change-seats';
import { headerIdempotencyKey } from '../../validation/idempotency-key';
import { seatChangeDto } from './dto';
import type { customerSeatsParams, seatsBody } from './schemas';

export async function changeSeats({
  deps,
  identity,
  body,
  ctx,
}: HandlerInput<undefined, undefined, typeof seatsBody, 'viewer'>) {
  return seatChangeDto(
    await changeOwnSeats(deps, identity, { ...body, idempotencyKey: headerIdempotencyKey(ctx) }),
  );
}

export async function changeCustomerSeats({
  deps,
  identity,
  params,
  body,
  ctx,
}: HandlerInput<typeof customerSeatsParams, undefined, typeof seatsBody, 'admin'>) {
  return seatChangeDto(
    await changeSeatsAsAdmin(deps, identity, params.email, {
      ...body,
      idempotencyKey: headerIdempotencyKey(ctx),
    }),
  );
}

import type { HandlerInput } from '../../routing/define-route';
import { receiveStripeEvent } from '../../../services/stripe-events/receive-stripe-event';

export async function postStripeEvent({
  deps,
  ctx,
}: HandlerInput<undefined, undefined, undefined, 'public'>) {
  const delivery = { rawBody: ctx.state.rawBody as Buffer, signature: ctx.get('stripe-signature') };
  const { duplicate } = await receiveStripeEvent(deps, delivery, ctx.state.log);
  return { received: true, duplicate };
}

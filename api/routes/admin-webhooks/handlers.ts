import { clockOf } from '../../../domain/clock';
import { WEBHOOK_EVENT_TYPES } from '../../../domain/webhook-endpoints';
import { deliveryById, listDeliveries, redeliver } from '../../../services/webhooks/deliveries';
import {
  createEndpoint,
  deleteEndpoint,
  endpointById,
  listEndpoints,
  rotateEndpointSecret,
  updateEndpoint,
  type EndpointRules,
} from '../../../services/webhooks/endpoints';
import type { AppDeps } from '../../deps';
import type { HandlerInput } from '../../routing/define-route';
import { attemptDto, deliveryDto, endpointDto } from './dto';
import type {
  createEndpointBody,
  deliveriesQuery,
  deliveryParams,
  endpointParams,
  updateEndpointBody,
} from './schemas';

type Admin<P, B = undefined, Q = undefined> = HandlerInput<P, Q, B, 'admin'>;

const rulesOf = (deps: AppDeps): EndpointRules => ({
  keyring: deps.byok.keyring,
  urlPolicy: {
    production: deps.config.NODE_ENV === 'production',
    allowPrivate: deps.config.WEBHOOK_ALLOW_PRIVATE_URLS,
  },
});

export const getEndpoints = async ({ deps }: Admin<undefined>) => ({
  endpoints: (await listEndpoints(deps.orm.em.fork())).map(endpointDto),
  event_types: [...WEBHOOK_EVENT_TYPES],
});

export const getEndpoint = async ({ deps, params }: Admin<typeof endpointParams>) =>
  endpointDto(await endpointById(deps.orm.em.fork(), params.id));

export async function postEndpoint({ deps, identity, body }: Admin<undefined, typeof createEndpointBody>) {
  const { view, secret } = await createEndpoint(
    deps.orm.em.fork(),
    identity,
    { url: body.url, description: body.description, eventTypes: body.event_types, enabled: body.enabled },
    rulesOf(deps),
  );
  return { ...endpointDto(view), secret };
}

export const patchEndpoint = async ({
  deps,
  identity,
  params,
  body,
}: Admin<typeof endpointParams, typeof updateEndpointBody>) =>
  endpointDto(
    await updateEndpoint(
      deps.orm.em.fork(),
      identity,
      params.id,
      {
        ...(body.url !== undefined && { url: body.url }),
        ...(body.description !== undefined && { description: body.description }),
        ...(body.event_types !== undefined && { eventTypes: body.event_types }),
        ...(body.enabled !== undefined && { enabled: body.enabled }),
      },
      rulesOf(deps),
      clockOf(deps).now(),
    ),
  );

export async function removeEndpoint({ deps, identity, params }: Admin<typeof endpointParams>) {
  await deleteEndpoint(deps.orm.em.fork(), identity, params.id);
  return { id: params.id, deleted: true as const };
}

export async function postRotateSecret({ deps, identity, params }: Admin<typeof endpointParams>) {
  const { view, secret } = await rotateEndpointSecret(deps.orm.em.fork(), identity, params.id, rulesOf(deps));
  return { ...endpointDto(view), secret };
}

export async function getDeliveries({
  deps,
  params,
  query,
}: Admin<typeof endpointParams, undefined, typeof deliveriesQuery>) {
  const page = await listDeliveries(deps.orm.em.fork(), params.id, {
    limit: query.limit,
    ...(query.status && { status: query.status }),
    ...(query.before && { before: query.before }),
  });
  return { deliveries: page.deliveries.map(deliveryDto), next_cursor: page.next };
}

export const getDelivery = async ({ deps, params }: Admin<typeof deliveryParams>) =>
  deliveryDto(await deliveryById(deps.orm.em.fork(), params.id));

export async function postRedeliver({ deps, identity, params }: Admin<typeof deliveryParams>) {
  const result = await redeliver(deps, identity, params.id);
  return { delivered: result.delivered, attempt: result.attempt ? attemptDto(result.attempt) : null };
}

import { randomBytes } from 'node:crypto';
import type { Emulator } from '../emulator';
import { invalidParam } from '../errors';
import { newId } from '../ids';
import { paginate } from '../list';
import { mergeMetadata, optInt, optObject, optString, reqString, stringList } from '../params';
import type { Router } from '../router';
import type { CustomerRec, EventRec, SubscriptionRec, TestClockRec, WebhookEndpointRec } from '../types';
import { advanceClock, cancelSubscriptionNow } from '../billing/subscriptions';
import { createTestClock } from '../billing/test-clocks';

/** Test clocks, events and webhook endpoints: the API surface around the billing objects. */
export function registerPlatform(router: Router, emu: Emulator): void {
  const clock = (id: string | undefined) => emu.store.get<TestClockRec>('test_helpers.test_clock', id ?? '');

  router.post('/v1/test_helpers/test_clocks', ({ params }) => {
    const frozen = optInt(params, 'frozen_time');
    if (frozen === undefined) throw invalidParam('frozen_time', 'Missing required param: frozen_time.');
    const c = createTestClock(emu, frozen, optString(params, 'name') || null);
    return emu.present(c);
  });
  router.get('/v1/test_helpers/test_clocks/:id', ({ pathParams }) => emu.present(clock(pathParams['id'])));
  router.get('/v1/test_helpers/test_clocks', ({ params }) => {
    const page = paginate(
      emu.store.all<TestClockRec>('test_helpers.test_clock'),
      params,
      '/v1/test_helpers/test_clocks',
    );
    return { ...page, data: page.data.map((c) => emu.present(c)) };
  });
  // Advancing is asynchronous in Stripe; here it completes before the response, so pollers see `ready` at once.
  router.post('/v1/test_helpers/test_clocks/:id/advance', ({ pathParams, params }) => {
    const c = clock(pathParams['id']);
    const target = optInt(params, 'frozen_time');
    if (target === undefined) throw invalidParam('frozen_time', 'Missing required param: frozen_time.');
    advanceClock(emu, c, target);
    emu.emit('test_helpers.test_clock.ready', c, undefined, emu.realNow());
    return emu.present(c);
  });
  router.delete('/v1/test_helpers/test_clocks/:id', ({ pathParams }) => {
    const c = clock(pathParams['id']);
    for (const cust of emu.store.where<CustomerRec>('customer', 'test_clock', c.id)) {
      for (const sub of emu.store.where<SubscriptionRec>('subscription', 'customer', cust.id)) {
        if (sub.status !== 'canceled') cancelSubscriptionNow(emu, sub, 'cancellation_requested');
      }
      emu.store.remove(cust.id);
    }
    emu.store.remove(c.id);
    return { id: c.id, object: 'test_helpers.test_clock', deleted: true };
  });

  // The account the key belongs to: one fixed test-mode account, so setup checks can name it.
  router.get('/v1/account', () => ({
    id: 'acct_emulator',
    object: 'account',
    type: 'standard',
    country: 'US',
    default_currency: 'usd',
    email: null,
    charges_enabled: true,
    payouts_enabled: false,
    details_submitted: true,
    business_profile: { name: 'Stripe emulator', url: null },
    settings: { dashboard: { display_name: 'Stripe emulator', timezone: 'Etc/UTC' } },
    metadata: {},
    created: 0,
  }));

  router.get('/v1/events', ({ params }) => {
    const type = optString(params, 'type');
    const types = stringList(params, 'types');
    const created = optObject(params, 'created');
    const gte = created ? optInt(created, 'gte') : undefined;
    const matchType = (t: string) =>
      (!type || (type.endsWith('*') ? t.startsWith(type.slice(0, -1)) : t === type)) &&
      (types.length === 0 || types.includes(t));
    const items = emu.store
      .all<EventRec>('event')
      .filter((e) => matchType(e.type) && (gte === undefined || e.created >= gte));
    return paginate(items, params, '/v1/events');
  });
  router.get('/v1/events/:id', ({ pathParams }) => emu.store.get<EventRec>('event', pathParams['id'] ?? ''));

  router.post('/v1/webhook_endpoints', ({ params }) => {
    const events = stringList(params, 'enabled_events');
    if (events.length === 0) throw invalidParam('enabled_events', 'Missing required param: enabled_events.');
    const secret = `whsec_${randomBytes(24).toString('hex')}`;
    const ep = emu.store.put<WebhookEndpointRec>({
      id: newId('we', 24),
      object: 'webhook_endpoint',
      created: emu.realNow(),
      url: reqString(params, 'url'),
      enabled_events: events,
      status: 'enabled',
      livemode: false,
      metadata: mergeMetadata({}, params),
      api_version: optString(params, 'api_version') || null,
      description: optString(params, 'description') || null,
      _secret: secret,
    });
    // Like Stripe, the secret is only shown in the creation response.
    return { ...emu.present(ep), secret };
  });
  router.get('/v1/webhook_endpoints', ({ params }) => {
    const forwarding = emu.forwardingEndpoint();
    const page = paginate(
      [...(forwarding ? [forwarding] : []), ...emu.store.all<WebhookEndpointRec>('webhook_endpoint')],
      params,
      '/v1/webhook_endpoints',
    );
    return { ...page, data: page.data.map((e) => emu.present(e)) };
  });
  router.get('/v1/webhook_endpoints/:id', ({ pathParams }) => {
    const forwarding = emu.forwardingEndpoint();
    if (forwarding && pathParams['id'] === forwarding.id) return emu.present(forwarding);
    return emu.present(emu.store.get('webhook_endpoint', pathParams['id'] ?? ''));
  });
  router.post('/v1/webhook_endpoints/:id', ({ pathParams, params }) => {
    const ep = emu.store.get<WebhookEndpointRec>('webhook_endpoint', pathParams['id'] ?? '');
    const url = optString(params, 'url');
    if (url) ep.url = url;
    const events = stringList(params, 'enabled_events');
    if (events.length > 0) ep.enabled_events = events;
    const disabled = optString(params, 'disabled');
    if (disabled !== undefined) ep.status = disabled === 'true' ? 'disabled' : 'enabled';
    ep.metadata = mergeMetadata(ep.metadata, params);
    return emu.present(ep);
  });
  router.delete('/v1/webhook_endpoints/:id', ({ pathParams }) => {
    const ep = emu.store.get<WebhookEndpointRec>('webhook_endpoint', pathParams['id'] ?? '');
    emu.store.remove(ep.id);
    return { id: ep.id, object: 'webhook_endpoint', deleted: true };
  });
}

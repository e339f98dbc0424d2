import type Stripe from 'stripe';
import type { Emulator } from '../emulator';
import { invalidParam, invalidRequest, missingParam } from '../errors';
import { newId } from '../ids';
import { listOf, paginate } from '../list';
import { optInt, optObject, optString, reqString } from '../params';
import type { Router } from '../router';
import type { CustomerRec, MeterEventRec, MeterRec } from '../types';
import { meterUsage } from '../billing/usage';

export function registerMeters(router: Router, emu: Emulator): void {
  const meter = (id: string | undefined) => emu.store.get<MeterRec>('billing.meter', id ?? '');

  router.post('/v1/billing/meters', ({ params }) => {
    const eventName = reqString(params, 'event_name');
    if (
      emu.store
        .all<MeterRec>('billing.meter')
        .some((m) => m.event_name === eventName && m.status === 'active')
    ) {
      throw invalidParam('event_name', `An active meter with event_name '${eventName}' already exists.`);
    }
    const agg = optObject(params, 'default_aggregation');
    if (!agg) throw missingParam('default_aggregation');
    const formula = reqString(agg, 'formula');
    if (!['sum', 'count', 'last'].includes(formula)) throw invalidParam('default_aggregation[formula]');
    const mapping = optObject(params, 'customer_mapping') ?? {};
    const value = optObject(params, 'value_settings') ?? {};
    const now = emu.realNow();
    const m = emu.store.put<MeterRec>({
      id: newId('mtr_test', 24),
      object: 'billing.meter',
      created: now,
      customer_mapping: {
        event_payload_key: optString(mapping, 'event_payload_key') ?? 'stripe_customer_id',
        type: 'by_id',
      },
      default_aggregation: { formula: formula as Stripe.Billing.Meter.DefaultAggregation.Formula },
      display_name: reqString(params, 'display_name'),
      event_name: eventName,
      event_time_window:
        (optString(params, 'event_time_window') as Stripe.Billing.Meter.EventTimeWindow) || null,
      livemode: false,
      status: 'active',
      status_transitions: { deactivated_at: null },
      updated: now,
      value_settings: { event_payload_key: optString(value, 'event_payload_key') ?? 'value' },
    } as MeterRec);
    return emu.present(m);
  });
  router.get('/v1/billing/meters', ({ params }) => {
    const status = optString(params, 'status');
    const items = emu.store.all<MeterRec>('billing.meter').filter((m) => !status || m.status === status);
    const page = paginate(items, params, '/v1/billing/meters');
    return { ...page, data: page.data.map((m) => emu.present(m)) };
  });
  router.get('/v1/billing/meters/:id', ({ pathParams }) => emu.present(meter(pathParams['id'])));
  router.post('/v1/billing/meters/:id/deactivate', ({ pathParams }) => {
    const m = meter(pathParams['id']);
    m.status = 'inactive';
    m.updated = emu.realNow();
    return emu.present(m);
  });
  router.post('/v1/billing/meters/:id/reactivate', ({ pathParams }) => {
    const m = meter(pathParams['id']);
    m.status = 'active';
    m.updated = emu.realNow();
    return emu.present(m);
  });
  router.get('/v1/billing/meters/:id/event_summaries', ({ pathParams, params }) => {
    const m = meter(pathParams['id']);
    const customer = reqString(params, 'customer');
    const start = optInt(params, 'start_time');
    const end = optInt(params, 'end_time');
    if (start === undefined) throw missingParam('start_time');
    if (end === undefined) throw missingParam('end_time');
    return listOf(
      [
        {
          id: newId('mtrusg_test', 24),
          object: 'billing.meter_event_summary',
          aggregated_value: meterUsage(emu, m, customer, start, end),
          end_time: end,
          livemode: false,
          meter: m.id,
          start_time: start,
        },
      ],
      `/v1/billing/meters/${m.id}/event_summaries`,
    );
  });

  /**
   * Stripe enforces identifier uniqueness over a rolling 24 hours; a repeat here is answered with the
   * stored event and not counted again, so a client retrying a send cannot double-bill.
   */
  router.post('/v1/billing/meter_events', ({ params }) => {
    const eventName = reqString(params, 'event_name');
    const payload = optObject(params, 'payload');
    if (!payload) throw missingParam('payload');
    const m = emu.store
      .all<MeterRec>('billing.meter')
      .find((x) => x.event_name === eventName && x.status === 'active');
    if (!m)
      throw invalidRequest(
        `No active meter was found for event_name '${eventName}'.`,
        'event_name',
        'resource_missing',
      );
    const identifier = optString(params, 'identifier') || newId('mev', 20);
    const prior = emu.store.meterEvents.find((e) => e.identifier === identifier);
    const { _customer, _value, ...shown } = prior ?? ({} as MeterEventRec);
    void _customer;
    void _value;
    if (prior) return shown;
    const customerKey = m.customer_mapping.event_payload_key;
    const customerId = optString(payload, customerKey);
    if (!customerId) throw missingParam(`payload[${customerKey}]`);
    emu.store.get<CustomerRec>('customer', customerId, `payload[${customerKey}]`);
    const valueKey = m.value_settings.event_payload_key;
    const rawValue =
      optString(payload, valueKey) ?? (m.default_aggregation.formula === 'count' ? '1' : undefined);
    if (rawValue === undefined || !/^-?\d+(\.\d+)?$/.test(rawValue))
      throw invalidParam(`payload[${valueKey}]`);
    const now = emu.nowFor(customerId);
    const event: MeterEventRec = {
      object: 'billing.meter_event',
      created: now,
      event_name: eventName,
      identifier,
      livemode: false,
      payload: Object.fromEntries(
        Object.entries(payload).filter((e): e is [string, string] => typeof e[1] === 'string'),
      ),
      timestamp: optInt(params, 'timestamp') ?? now,
      _customer: customerId,
      _value: Number(rawValue),
    };
    emu.store.meterEvents.push(event);
    const { _customer: _c, _value: _v, ...out } = event;
    void _c;
    void _v;
    return out;
  });
}

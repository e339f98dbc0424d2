import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Emulator } from './emulator';
import { invalidParam, StripeApiError } from './errors';
import type { FaultKind, FaultRule } from './faults';
import { parseForm } from './form';
import type { ChargeRec, CheckoutSessionRec, DisputeRec, MeterRec, PaymentIntentRec } from './types';
import { closeDispute, openDispute } from './billing/refunds';
import { completeCheckoutSession } from './billing/checkout';
import { completeAuthentication } from './billing/invoices';
import { settleDebits } from './billing/payments';
import { meterUsage } from './billing/usage';
import type { WebhookBehavior } from './webhooks';

const FAULT_KINDS: FaultKind[] = ['error500', 'rateLimit', 'latency', 'drop', 'invalidRequest'];

export function findMeter(emu: Emulator, ref: string): MeterRec {
  const m = emu.store.all<MeterRec>('billing.meter').find((x) => x.id === ref || x.event_name === ref);
  if (!m) throw invalidParam('meter', `No such meter: '${ref}'`);
  return m;
}

export function usageFor(
  emu: Emulator,
  customer: string,
  meterRef: string,
  start?: number,
  end?: number,
): number {
  return meterUsage(emu, findMeter(emu, meterRef), customer, start ?? 0, end ?? Number.MAX_SAFE_INTEGER);
}

export function toFaultRule(body: Record<string, unknown>): FaultRule {
  const kind = body['kind'] ?? body['type'];
  if (typeof kind !== 'string' || !FAULT_KINDS.includes(kind as FaultKind)) {
    throw invalidParam('kind', `kind must be one of ${FAULT_KINDS.join(', ')}`);
  }
  if (typeof body['path'] !== 'string') throw invalidParam('path', 'path is required');
  return {
    kind: kind as FaultKind,
    path: body['path'],
    method: typeof body['method'] === 'string' ? body['method'] : undefined,
    count: body['count'] !== undefined ? Number(body['count']) : undefined,
    latencyMs: body['latencyMs'] !== undefined ? Number(body['latencyMs']) : undefined,
  };
}

function parseBody(req: IncomingMessage, body: string): Record<string, unknown> {
  if (!body) return {};
  if ((req.headers['content-type'] ?? '').includes('json'))
    return JSON.parse(body) as Record<string, unknown>;
  return parseForm(body);
}

/** The emulator's own control API under `/_emulator/`, for tests and tools written in other languages. */
export async function handleControl(
  emu: Emulator,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  body: string,
): Promise<void> {
  const send = (status: number, value: unknown) => {
    const text = JSON.stringify(value);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  };
  const method = req.method ?? 'GET';
  const path = url.pathname.replace(/^\/_emulator/, '');
  try {
    const input = parseBody(req, body);
    let m: RegExpExecArray | null;
    if (method === 'POST' && path === '/reset') {
      emu.reset();
      return send(200, { ok: true });
    }
    if (path === '/faults') {
      if (method === 'GET') return send(200, { faults: emu.faults.list() });
      if (method === 'DELETE') {
        emu.faults.clear();
        return send(200, { faults: [] });
      }
      if (method === 'POST') return send(200, emu.faults.add(toFaultRule(input)));
    }
    if (path === '/webhooks') {
      if (method === 'POST') {
        const patch: Partial<WebhookBehavior> = {};
        if (typeof input['duplicate'] === 'boolean') patch.duplicate = input['duplicate'];
        if (typeof input['outOfOrder'] === 'boolean') patch.outOfOrder = input['outOfOrder'];
        if (typeof input['delayMs'] === 'number') patch.delayMs = input['delayMs'];
        if (Array.isArray(input['retryDelaysMs'])) patch.retryDelaysMs = input['retryDelaysMs'].map(Number);
        emu.webhooks.behavior = { ...emu.webhooks.behavior, ...patch };
      }
      return send(200, { behavior: emu.webhooks.behavior, deliveries: emu.webhooks.deliveries });
    }
    if (method === 'POST' && path === '/webhooks/flush') {
      await emu.webhooks.idle();
      return send(200, { ok: true });
    }
    if (method === 'POST' && (m = /^\/checkout_sessions\/([^/]+)\/complete$/.exec(path))) {
      const s = emu.store.get<CheckoutSessionRec>('checkout.session', m[1] ?? '');
      const str = (k: string) => (typeof input[k] === 'string' ? (input[k] as string) : undefined);
      const country = str('country');
      const vat = str('tax_id');
      completeCheckoutSession(emu, s, {
        cardNumber: str('card_number'),
        email: str('email'),
        name: str('name'),
        ...(country ? { address: { country } } : {}),
        ...(vat ? { taxId: { type: 'eu_vat', value: vat } } : {}),
      });
      return send(200, emu.present(s));
    }
    if (method === 'POST' && (m = /^\/payment_intents\/([^/]+)\/authenticate$/.exec(path))) {
      const pi = emu.store.get<PaymentIntentRec>('payment_intent', m[1] ?? '');
      return send(200, emu.present(completeAuthentication(emu, pi, input['outcome'] !== 'fail')));
    }
    if (method === 'POST' && (m = /^\/charges\/([^/]+)\/dispute$/.exec(path))) {
      const charge = emu.store.get<ChargeRec>('charge', m[1] ?? '');
      const amount = typeof input['amount'] === 'number' ? input['amount'] : undefined;
      const reason = typeof input['reason'] === 'string' ? input['reason'] : undefined;
      return send(200, emu.present(openDispute(emu, charge, { amount, reason })));
    }
    if (method === 'POST' && (m = /^\/disputes\/([^/]+)\/close$/.exec(path))) {
      const dispute = emu.store.get<DisputeRec>('dispute', m[1] ?? '');
      return send(200, emu.present(closeDispute(emu, dispute, input['outcome'] === 'won' ? 'won' : 'lost')));
    }
    if (method === 'POST' && path === '/debits/settle') return send(200, settleDebits(emu));
    if (method === 'GET' && path === '/usage') {
      const q = Object.fromEntries(url.searchParams);
      const customer = q['customer'];
      const meter = q['meter'];
      if (!customer || !meter) throw invalidParam('customer', 'customer and meter are required');
      const value = usageFor(
        emu,
        customer,
        meter,
        q['start'] ? Number(q['start']) : undefined,
        q['end'] ? Number(q['end']) : undefined,
      );
      return send(200, { customer, meter, value });
    }
    send(404, {
      error: { type: 'invalid_request_error', message: `Unknown emulator control route ${method} ${path}` },
    });
  } catch (e) {
    if (e instanceof StripeApiError) return send(e.status, e.toJSON());
    send(400, { error: { type: 'invalid_request_error', message: (e as Error).message } });
  }
}

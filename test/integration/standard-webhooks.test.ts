import { createHmac, timingSafeEqual } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { newSigningSecret, signDelivery } from '../../integrations/webhooks/standard-webhooks';

/**
 * An independent verifier written from the specification (not the library that signs): the signed content
 * is `id.timestamp.body`, HMAC-SHA256 keyed by the base64 secret after `whsec_`, each signature `v1,<base64>`
 * and several separated by spaces.
 */
function verifies(secret: string, headers: Record<string, string>, body: string): boolean {
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  const expected = createHmac('sha256', key)
    .update(`${headers['webhook-id']}.${headers['webhook-timestamp']}.${body}`)
    .digest();
  return (headers['webhook-signature'] ?? '').split(' ').some((sig) => {
    const [version, value] = sig.split(',');
    const given = Buffer.from(value ?? '', 'base64');
    return version === 'v1' && given.length === expected.length && timingSafeEqual(given, expected);
  });
}

describe('signing outgoing webhooks (Standard Webhooks)', () => {
  it('signs the specification’s own test vector to its published signature', () => {
    const headers = signDelivery(['whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'], {
      id: 'msg_p5jXN8AQM9LWM0D4loKWxJek',
      at: new Date(1614265330 * 1000),
      body: '{"test": 2432232314}',
    });
    expect(headers).toEqual({
      'webhook-id': 'msg_p5jXN8AQM9LWM0D4loKWxJek',
      'webhook-timestamp': '1614265330',
      'webhook-signature': 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
    });
  });

  it('is verified by an independent verifier and by the library, and fails for a changed body or another secret', () => {
    const secret = newSigningSecret();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    const body = JSON.stringify({ id: 'bev_1', type: 'credits.low', data: { balance: 12 } });
    const headers = signDelivery([secret], { id: 'bev_1', at: new Date(), body });
    expect(verifies(secret, { ...headers }, body)).toBe(true);
    expect(new Webhook(secret).verify(body, { ...headers })).toEqual(JSON.parse(body));
    expect(verifies(secret, { ...headers }, body.replace('12', '13'))).toBe(false);
    expect(verifies(newSigningSecret(), { ...headers }, body)).toBe(false);
  });

  it('signs with every secret of a rotation, so receivers holding either one verify', () => {
    const [old, next] = [newSigningSecret(), newSigningSecret()];
    const headers = signDelivery([next, old], { id: 'bev_2', at: new Date(), body: '{}' });
    expect(headers['webhook-signature'].split(' ')).toHaveLength(2);
    expect(verifies(old, { ...headers }, '{}')).toBe(true);
    expect(verifies(next, { ...headers }, '{}')).toBe(true);
    expect(() => signDelivery([], { id: 'bev_3', at: new Date(), body: '{}' })).toThrow();
  });
});

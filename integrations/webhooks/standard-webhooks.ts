import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';

/** The headers of one signed delivery (Standard Webhooks: https://www.standardwebhooks.com). */
export interface SignedHeaders {
  'webhook-id': string;
  'webhook-timestamp': string;
  'webhook-signature': string;
}

/** A new endpoint's signing secret: `whsec_` and 32 random bytes in base64, as the specification shapes it. */
export function newSigningSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}

/**
 * Signs one delivery: the event's stable id (the same on every retry, so a receiver can drop repeats),
 * the time of this attempt, and the exact body sent. Several secrets (one being rotated out) each add a
 * signature; a receiver accepts any one it knows.
 */
export function signDelivery(
  secrets: readonly string[],
  delivery: { id: string; at: Date; body: string },
): SignedHeaders {
  if (secrets.length === 0) throw new Error('an endpoint signs with at least one secret');
  const signatures = secrets.map((s) => new Webhook(s).sign(delivery.id, delivery.at, delivery.body));
  return {
    'webhook-id': delivery.id,
    'webhook-timestamp': String(Math.floor(delivery.at.getTime() / 1000)),
    'webhook-signature': signatures.join(' '),
  };
}

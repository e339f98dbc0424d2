import type { EntityManager } from '@mikro-orm/core';
import type { ByokKeyring } from '../../config/byok-key';
import { recordAudit } from '../../db/audit';
import { WebhookDelivery, WebhookEndpoint } from '../../db/entities';
import { newId } from '../../db/ids';
import { pendingAndFailedDeliveries } from '../../db/webhook-endpoint-backlog';
import { AppError, notFound } from '../../domain/errors';
import type { Identity } from '../../domain/identity';
import {
  endpointUrlRefusal,
  redactedEndpointUrl,
  type EndpointUrlPolicy,
} from '../../domain/webhook-endpoints';
import { newSigningSecret } from '../../integrations/webhooks/standard-webhooks';
import { sealEndpointSecret } from '../../integrations/webhooks/settings';

/** What an admin sets on an endpoint. */
export interface EndpointTerms {
  url: string;
  description: string | null;
  eventTypes: string[];
  enabled: boolean;
}

/** What the endpoint routes need beyond the database: the keyring secrets are sealed with, the URL rule. */
export interface EndpointRules {
  keyring: ByokKeyring;
  urlPolicy: EndpointUrlPolicy;
}

/** An endpoint with what is waiting for it and what was given up. */
export interface EndpointView {
  endpoint: WebhookEndpoint;
  pending: number;
  failed: number;
}

// The audit log keeps the terms, never the signing secret nor the receiver's secret in the address.
const imageOf = (e: WebhookEndpoint) => ({
  url: redactedEndpointUrl(e.url),
  description: e.description ?? null,
  event_types: e.eventTypes,
  enabled: e.enabled,
});

function checkUrl(url: string, policy: EndpointUrlPolicy): void {
  const refusal = endpointUrlRefusal(url, policy);
  if (refusal) throw new AppError('invalid', refusal.code, refusal.message, { field: 'url' });
}

async function counted(em: EntityManager, endpoints: WebhookEndpoint[]): Promise<EndpointView[]> {
  if (endpoints.length === 0) return [];
  const rows = await pendingAndFailedDeliveries(
    em,
    endpoints.map((e) => e.id),
  );
  const countOf = (id: string, status: string) =>
    Number(rows.find((r) => r.endpoint_id === id && r.status === status)?.n ?? 0);
  return endpoints.map((endpoint) => ({
    endpoint,
    pending: countOf(endpoint.id, 'pending'),
    failed: countOf(endpoint.id, 'failed'),
  }));
}

/** Every endpoint, oldest first. */
export async function listEndpoints(em: EntityManager): Promise<EndpointView[]> {
  return counted(em, await em.find(WebhookEndpoint, {}, { orderBy: { createdAt: 'asc', id: 'asc' } }));
}

export async function endpointById(em: EntityManager, id: string): Promise<EndpointView> {
  const endpoint = await em.findOne(WebhookEndpoint, { id });
  if (!endpoint) throw notFound('webhook_endpoint', id);
  return (await counted(em, [endpoint]))[0]!;
}

/**
 * A new endpoint with a fresh signing secret, which this answer is the one place to read in the clear
 * (as with rotation); audited without it.
 */
export async function createEndpoint(
  em: EntityManager,
  actor: Identity,
  terms: EndpointTerms,
  rules: EndpointRules,
): Promise<{ view: EndpointView; secret: string }> {
  checkUrl(terms.url, rules.urlPolicy);
  const id = newId('whe');
  const secret = newSigningSecret();
  const sealed = sealEndpointSecret(rules.keyring, id, secret);
  const endpoint = em.create(WebhookEndpoint, {
    id,
    url: terms.url,
    description: terms.description,
    eventTypes: terms.eventTypes,
    enabled: terms.enabled,
    secretCiphertext: sealed.ciphertext,
    secretNonce: sealed.nonce,
    secretKeyVersion: sealed.keyVersion,
  });
  recordAudit(em, {
    actor,
    action: 'webhook_endpoint.create',
    entityType: 'webhook_endpoint',
    entityId: id,
    after: imageOf(endpoint),
  });
  await em.flush();
  return { view: { endpoint, pending: 0, failed: 0 }, secret };
}

/**
 * Changes an endpoint's terms. Turning it on again clears an automatic disabling and its failure streak,
 * so the next failure starts a new window. Audited.
 */
export async function updateEndpoint(
  em: EntityManager,
  actor: Identity,
  id: string,
  change: Partial<EndpointTerms>,
  rules: EndpointRules,
  now: Date,
): Promise<EndpointView> {
  const endpoint = await em.findOne(WebhookEndpoint, { id });
  if (!endpoint) throw notFound('webhook_endpoint', id);
  if (change.url !== undefined) checkUrl(change.url, rules.urlPolicy);
  const before = imageOf(endpoint);
  const reenabled = change.enabled === true && !endpoint.enabled;
  Object.assign(endpoint, change);
  if (reenabled) {
    endpoint.disabledAt = null;
    endpoint.disabledReason = null;
    endpoint.disabledMailSentAt = null;
    endpoint.failingSince = null;
  }
  if (change.enabled === false && !endpoint.disabledAt) {
    endpoint.disabledAt = now;
    endpoint.disabledReason = `turned off by ${actor.email ?? actor.sub}`;
  }
  recordAudit(em, {
    actor,
    action: 'webhook_endpoint.update',
    entityType: 'webhook_endpoint',
    entityId: id,
    before,
    after: imageOf(endpoint),
  });
  await em.flush();
  return endpointById(em, id);
}

/** A new signing secret, in force from the next attempt; the answer is the one place to read it. Audited. */
export async function rotateEndpointSecret(
  em: EntityManager,
  actor: Identity,
  id: string,
  rules: EndpointRules,
): Promise<{ view: EndpointView; secret: string }> {
  const endpoint = await em.findOne(WebhookEndpoint, { id });
  if (!endpoint) throw notFound('webhook_endpoint', id);
  const secret = newSigningSecret();
  const sealed = sealEndpointSecret(rules.keyring, id, secret);
  endpoint.secretCiphertext = sealed.ciphertext;
  endpoint.secretNonce = sealed.nonce;
  endpoint.secretKeyVersion = sealed.keyVersion;
  recordAudit(em, {
    actor,
    action: 'webhook_endpoint.rotate_secret',
    entityType: 'webhook_endpoint',
    entityId: id,
  });
  await em.flush();
  return { view: await endpointById(em, id), secret };
}

/**
 * Removes an endpoint. What was still waiting for it is marked failed (its queue stops at the next look),
 * and the delivery log stays. Audited.
 */
export async function deleteEndpoint(em: EntityManager, actor: Identity, id: string): Promise<void> {
  await em.transactional(async (tx) => {
    const endpoint = await tx.findOne(WebhookEndpoint, { id });
    if (!endpoint) throw notFound('webhook_endpoint', id);
    recordAudit(tx, {
      actor,
      action: 'webhook_endpoint.delete',
      entityType: 'webhook_endpoint',
      entityId: id,
      before: imageOf(endpoint),
    });
    await tx.nativeUpdate(
      WebhookDelivery,
      { endpointId: id, status: 'pending' },
      { status: 'failed', nextAttemptAt: null },
    );
    tx.remove(endpoint);
  });
}

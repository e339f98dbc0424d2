import type { MikroORM } from '@mikro-orm/core';
import type { ByokKey } from '../../config/byok-key';
import { ProviderKey, WebhookEndpoint } from '../../db/entities';
import { openEndpointSecret, sealEndpointSecret } from '../../integrations/webhooks/settings';
import { openProviderKey, sealWith, UnreadableKeyError } from './crypto';

export interface RotationProgress {
  total: number;
  /** Rows looked at so far, counting those found already under the new key. */
  done: number;
  rotated: number;
  alreadyCurrent: number;
  /** Rows replaced or deleted by their owner while the rotation ran (their new content is not ours to touch). */
  changedMeanwhile: number;
  failed: number;
}

export interface RotationResult extends RotationProgress {
  failures: { id: string; provider: string; reason: string }[];
}

export interface RotationInput {
  orm: MikroORM;
  current: ByokKey;
  previous: ByokKey;
  batchSize?: number;
  /** Called after each batch is written; throwing stops the run, and a later run picks up where it was. */
  onProgress?: (progress: RotationProgress) => void | Promise<void>;
}

/**
 * Re-encrypts every provider key under `current`. Rows already under it (by key version) are skipped, so
 * an interrupted run is resumed by running again. Each row is rewritten only if it still holds the
 * ciphertext that was read (its nonce is unique), so a key its owner replaced meanwhile is never
 * overwritten, and a row is written only after the new ciphertext has been opened again.
 */
export async function rotateProviderKeys(input: RotationInput): Promise<RotationResult> {
  const { orm, current, previous, batchSize = 100, onProgress } = input;
  if (current.version === previous.version) throw new Error('the new and previous keys are the same key');
  const countEm = orm.em.fork();
  const total = await countEm.count(ProviderKey, {});
  const alreadyCurrent = await countEm.count(ProviderKey, { keyVersion: current.version });
  const result: RotationResult = {
    total,
    done: alreadyCurrent,
    rotated: 0,
    alreadyCurrent,
    changedMeanwhile: 0,
    failed: 0,
    failures: [],
  };
  const previousOnly = { current: previous, previous: null };
  const currentOnly = { current, previous: null };
  let cursor = '';

  for (;;) {
    const em = orm.em.fork();
    const batch = await em.find(
      ProviderKey,
      { keyVersion: { $ne: current.version }, id: { $gt: cursor } },
      { orderBy: { id: 'asc' }, limit: batchSize },
    );
    if (batch.length === 0) break;
    for (const row of batch) {
      const binding = { customerId: row.customer.id, provider: row.provider };
      let plaintext: string;
      try {
        plaintext = openProviderKey(previousOnly, binding, row);
      } catch (err) {
        if (!(err instanceof UnreadableKeyError)) throw err;
        result.failed += 1;
        result.failures.push({ id: row.id, provider: row.provider, reason: err.message });
        continue;
      }
      const sealed = sealWith(current, binding, plaintext);
      // Paranoia before overwriting the only copy: the new ciphertext must open to the same key.
      if (openProviderKey(currentOnly, binding, sealed) !== plaintext)
        throw new Error('re-encryption check failed');
      const changed = await em.nativeUpdate(
        ProviderKey,
        { id: row.id, nonce: row.nonce, keyVersion: row.keyVersion },
        sealed,
      );
      if (changed === 1) result.rotated += 1;
      else result.changedMeanwhile += 1;
    }
    cursor = batch[batch.length - 1]!.id;
    result.done = result.alreadyCurrent + result.rotated + result.changedMeanwhile + result.failed;
    const { failures: _failures, ...progress } = result;
    await onProgress?.(progress);
  }
  return result;
}

/**
 * Re-encrypts every webhook endpoint's signing secret under `current`, as for provider keys: rows already
 * under it are skipped, a row is rewritten only if it still holds what was read (a secret rotated meanwhile
 * is left alone), and only after the new ciphertext has been opened again. Answers the endpoints under
 * neither key.
 */
export async function rotateWebhookSecrets(
  input: Pick<RotationInput, 'orm' | 'current' | 'previous'>,
): Promise<{ rotated: number; failures: { id: string; reason: string }[] }> {
  const { orm, current, previous } = input;
  const em = orm.em.fork();
  const rows = await em.find(WebhookEndpoint, { secretKeyVersion: { $ne: current.version } });
  const failures: { id: string; reason: string }[] = [];
  let rotated = 0;
  for (const row of rows) {
    let secret: string;
    try {
      secret = openEndpointSecret({ current: previous, previous: null }, row);
    } catch (err) {
      if (!(err instanceof UnreadableKeyError)) throw err;
      failures.push({ id: row.id, reason: err.message });
      continue;
    }
    const sealed = sealEndpointSecret({ current, previous: null }, row.id, secret);
    const reopened = openEndpointSecret(
      { current, previous: null },
      {
        id: row.id,
        secretCiphertext: sealed.ciphertext,
        secretNonce: sealed.nonce,
        secretKeyVersion: sealed.keyVersion,
      },
    );
    if (reopened !== secret) throw new Error('re-encryption check failed');
    rotated += await em.nativeUpdate(
      WebhookEndpoint,
      { id: row.id, secretNonce: row.secretNonce, secretKeyVersion: row.secretKeyVersion },
      { secretCiphertext: sealed.ciphertext, secretNonce: sealed.nonce, secretKeyVersion: sealed.keyVersion },
    );
  }
  return { rotated, failures };
}

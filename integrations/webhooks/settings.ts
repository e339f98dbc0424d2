import type { ByokKeyring } from '../../config/byok-key';
import type { Config } from '../../config/env';
import type { RetryPolicy } from '../../domain/webhook-delivery';
import type { EndpointUrlPolicy } from '../../domain/webhook-endpoints';
import { openSecret, sealSecret, type SealedSecret } from '../crypto/sealed-secret';

/** What sending webhooks needs: the keyring that opens endpoint secrets, the address rule, the timings. */
export interface WebhookSettings extends EndpointUrlPolicy {
  keyring: ByokKeyring;
  timeoutMs: number;
  retry: RetryPolicy;
  disableAfterMs: number;
  /** Who is told when an endpoint is turned off for failing. */
  operatorEmails: string[];
}

/** The settings from the environment, with the keyring the process loaded. */
export function webhookSettingsFrom(config: Config, keyring: ByokKeyring): WebhookSettings {
  return {
    keyring,
    production: config.NODE_ENV === 'production',
    allowPrivate: config.WEBHOOK_ALLOW_PRIVATE_URLS,
    timeoutMs: config.WEBHOOK_TIMEOUT_MS,
    retry: {
      firstDelayMs: config.WEBHOOK_FIRST_RETRY_MS,
      maxDelayMs: config.WEBHOOK_MAX_RETRY_DELAY_MS,
      retryForMs: Math.round(config.WEBHOOK_RETRY_HOURS * 3_600_000),
    },
    disableAfterMs: Math.round(config.WEBHOOK_DISABLE_AFTER_DAYS * 86_400_000),
    operatorEmails: config.OPERATOR_EMAILS,
  };
}

// Bound to the endpoint: a secret copied onto another endpoint's row does not open there.
const contextOf = (endpointId: string) => `billing-engine/webhook-endpoint/v1\0${endpointId}`;

/** An endpoint's signing secret sealed for storage under the keyring's current key. */
export function sealEndpointSecret(keyring: ByokKeyring, endpointId: string, secret: string): SealedSecret {
  return sealSecret(keyring.current, contextOf(endpointId), secret);
}

/** The stored columns of an endpoint's secret, opened. */
export function openEndpointSecret(
  keyring: ByokKeyring,
  row: { id: string; secretCiphertext: string; secretNonce: string; secretKeyVersion: number },
): string {
  return openSecret(
    keyring,
    contextOf(row.id),
    { ciphertext: row.secretCiphertext, nonce: row.secretNonce, keyVersion: row.secretKeyVersion },
    'webhook endpoint secret',
  );
}

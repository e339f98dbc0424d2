import type { MikroORM } from '@mikro-orm/core';
import type { Clock } from '../domain/clock';
import type { Logger } from 'pino';
import type Stripe from 'stripe';
import type { KeycloakSettings } from '../integrations/keycloak/settings';
import type { LagoSettings } from '../integrations/lago/client';
import type { MailSettings } from './notify/email';
import type { WebhookSettings } from '../integrations/webhooks/settings';

/** What activities may touch; tests pass real instances pointed at local servers. */
export interface ActivityDeps {
  orm: MikroORM;
  logger: Logger;
  /** Null when neither a key nor an API base is configured: Stripe activities then fail non-retryably. */
  stripe?: Stripe | null;
  /** Null or absent when LAGO_API_URL/LAGO_API_KEY are unset: Lago activities then answer { skipped: true }. */
  lago?: LagoSettings | null;
  /** Null when KEYCLOAK_* is unset: the user-attribute sync is then skipped, not failed. */
  keycloak?: KeycloakSettings | null;
  /** Null when SMTP_URL is unset: notifications then stay in the outbox table for another sender. */
  mail?: MailSettings | null;
  /** Null or absent: outgoing webhooks are not sent (the dispatcher's activities fail non-retryably). */
  webhooks?: WebhookSettings | null;
  /** STRIPE_TAX: Checkout collects the address and tax ids, and Stripe Tax computes tax. */
  stripeTax?: boolean;
  /** Where activities read business time; absent: the system's (domain/clock.ts). */
  clock?: Clock | null;
}

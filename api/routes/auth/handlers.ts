import { AppError } from '../../../domain/errors';
import type { Config } from '../../../config/env';
import { loadOrCreateLocalKey, signToken } from '../../../services/auth/local-key';
import type { HandlerInput } from '../../routing/define-route';
import type { authConfigResponse, devTokenBody, devTokenResponse } from './schemas';
import type { z } from 'zod';

const DEV_TOKEN_TTL_SECONDS = 8 * 60 * 60;

/** The development sign-in exists only where the engine checks tokens with its own local key. */
export function devSignInAllowed(config: Config): boolean {
  return config.NODE_ENV !== 'production' && !config.OIDC_ISSUER;
}

export async function authConfig({
  deps,
}: HandlerInput<undefined, undefined, undefined, 'public'>): Promise<z.infer<typeof authConfigResponse>> {
  const { config } = deps;
  const dev = devSignInAllowed(config);
  return {
    mode: dev ? 'development' : 'oidc',
    dev_sign_in: dev,
    issuer: config.OIDC_ISSUER ?? null,
    client_id: dev ? null : (config.OIDC_WEB_CLIENT_ID ?? null),
  };
}

/**
 * Mints a token with the local development key, as `npm run token` does, so the web app is usable at once
 * under `npm run dev`. Refused in production and wherever an identity provider issues the tokens.
 */
export async function devToken({
  body,
  deps,
}: HandlerInput<undefined, undefined, typeof devTokenBody, 'public'>): Promise<
  z.infer<typeof devTokenResponse>
> {
  const { config } = deps;
  if (!devSignInAllowed(config)) {
    throw new AppError(
      'not_found',
      'dev_sign_in_disabled',
      config.NODE_ENV === 'production'
        ? 'The development sign-in is not available in production'
        : 'The development sign-in is off: an identity provider (OIDC_ISSUER) issues the tokens',
    );
  }
  const email = body.email.toLowerCase();
  const key = await loadOrCreateLocalKey(config.VAR_DIR);
  const token = await signToken(
    key,
    {
      sub: `local-${email}`,
      email,
      name: body.name,
      roles: [body.role],
      clientId: config.OIDC_CLIENT_ID,
      ttlSeconds: DEV_TOKEN_TTL_SECONDS,
    },
    undefined,
    config.OIDC_AUDIENCE,
  );
  return {
    access_token: token,
    token_type: 'Bearer',
    expires_at: new Date(Date.now() + DEV_TOKEN_TTL_SECONDS * 1000).toISOString(),
    email,
    role: body.role,
  };
}

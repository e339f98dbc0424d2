import { AppError } from '../../../domain/errors';
import type { Config } from '../../../config/env';
import { isLoopbackAddress } from '../../net/loopback';
import { loadOrCreateLocalKey, signToken } from '../../../services/auth/local-key';
import type { HandlerInput } from '../../routing/define-route';
import type { authConfigResponse, authMeResponse, devTokenBody, devTokenResponse } from './schemas';
import type { z } from 'zod';

const DEV_TOKEN_TTL_SECONDS = 8 * 60 * 60;

/** The engine checks tokens with its own local key: outside production, with no identity provider. */
const localKeyMode = (config: Config) => config.NODE_ENV !== 'production' && !config.OIDC_ISSUER;

/**
 * The development sign-in: asked for (DEV_SIGN_IN), where the engine checks tokens with its own local key,
 * and for a caller on this machine only. The socket's peer decides, never X-Forwarded-For, which anyone
 * can write.
 */
export function devSignInAllowed(config: Config, remoteAddress: string | undefined): boolean {
  return config.DEV_SIGN_IN && localKeyMode(config) && isLoopbackAddress(remoteAddress);
}

function whyNoDevSignIn(config: Config): string {
  if (config.NODE_ENV === 'production') return 'The development sign-in is not available in production';
  if (config.OIDC_ISSUER)
    return 'The development sign-in is off: an identity provider (OIDC_ISSUER) issues the tokens';
  if (!config.DEV_SIGN_IN) return 'The development sign-in is off (DEV_SIGN_IN is not true)';
  return 'The development sign-in answers callers on this machine only';
}

export async function authConfig({
  deps,
  ctx,
}: HandlerInput<undefined, undefined, undefined, 'public'>): Promise<z.infer<typeof authConfigResponse>> {
  const { config } = deps;
  const dev = localKeyMode(config);
  return {
    mode: dev ? 'development' : 'oidc',
    dev_sign_in: devSignInAllowed(config, ctx.socket.remoteAddress),
    issuer: config.OIDC_ISSUER ?? null,
    client_id: dev ? null : (config.OIDC_WEB_CLIENT_ID ?? null),
  };
}

/**
 * Mints a token with the local development key, as `npm run token` does, so the web app is usable at once
 * under `npm run dev`. Refused unless DEV_SIGN_IN is true, in production, wherever an identity provider
 * issues the tokens, and to callers not on this machine.
 */
export async function devToken({
  body,
  deps,
  ctx,
}: HandlerInput<undefined, undefined, typeof devTokenBody, 'public'>): Promise<
  z.infer<typeof devTokenResponse>
> {
  const { config } = deps;
  if (!devSignInAllowed(config, ctx.socket.remoteAddress)) {
    throw new AppError('not_found', 'dev_sign_in_disabled', whyNoDevSignIn(config));
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

/**
 * Who the engine takes the caller for, as its verifier decided: the web app shows what this answers rather
 * than reading roles out of the token itself, so what it shows and what the routes enforce cannot differ.
 */
export async function me({
  identity,
}: HandlerInput<undefined, undefined, undefined, 'viewer'>): Promise<z.infer<typeof authMeResponse>> {
  return { email: identity.email, role: identity.role, roles: identity.roles };
}

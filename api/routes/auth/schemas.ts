import { z } from 'zod';
import { GATEWAY_ROLE, ROLES } from '../../../domain/roles';

export const devTokenBody = z
  .object({
    email: z.email().max(254),
    /** The customer app needs no more than viewer; editor and admin are for trying the admin routes. */
    role: z.enum(['viewer', 'editor', 'admin']).default('viewer'),
    name: z.string().min(1).max(200).optional(),
  })
  .strict();

export const devTokenResponse = z.object({
  access_token: z.string(),
  token_type: z.literal('Bearer'),
  expires_at: z.iso.datetime(),
  email: z.string(),
  role: z.enum(['viewer', 'editor', 'admin']),
});

export const authConfigResponse = z.object({
  /** `development`: the local signing key and the development sign-in; `oidc`: the issuer below. */
  mode: z.enum(['development', 'oidc']),
  dev_sign_in: z.boolean(),
  issuer: z.string().nullable(),
  /** The public client the web app signs in with (authorization code with PKCE), when one is set. */
  client_id: z.string().nullable(),
});

export const authMeResponse = z.object({
  /** The person's verified email. */
  email: z.string(),
  /** What the engine enforces for this token: a rung of the ladder (the gateway is refused the route). */
  role: z.enum([...ROLES, GATEWAY_ROLE]),
  /** The token's roles the engine counted (its client's, and prefixed realm roles without the prefix). */
  roles: z.array(z.string()),
});

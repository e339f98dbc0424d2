import { defineRoute } from '../../routing/define-route';
import { authConfig, devToken, me } from './handlers';
import { authConfigResponse, authMeResponse, devTokenBody, devTokenResponse } from './schemas';

export const authRoutes = [
  defineRoute({
    method: 'get',
    path: '/auth/config',
    summary: 'How the web app signs people in: the OIDC issuer and public client, or the development sign-in',
    tags: ['auth'],
    access: 'public',
    response: authConfigResponse,
    handler: authConfig,
  }),
  defineRoute({
    method: 'post',
    path: '/auth/dev-token',
    summary:
      'Development only: a token for any email and role, signed with the local key, for callers on this machine when DEV_SIGN_IN=true (404 otherwise, always in production and when OIDC_ISSUER is set)',
    tags: ['auth'],
    access: 'public',
    body: devTokenBody,
    errors: {
      404: 'The development sign-in is off (not enabled, production, an identity provider is configured, or the caller is not on this machine)',
    },
    response: devTokenResponse,
    handler: devToken,
  }),
  defineRoute({
    method: 'get',
    path: '/auth/me',
    summary:
      'Who the engine takes the signed-in person for: their email and the role it enforces (viewer, editor or admin), as the web app shows it',
    tags: ['auth'],
    // People only: the gateway's powers stay the four routes it needs, and it has no app to show a role in.
    access: 'viewer',
    errors: {
      403: "The token is refused: its holder's email is not verified (email_not_verified), it holds the gateway's role beside editor or admin (conflicting_roles), or it is the gateway's",
    },
    response: authMeResponse,
    handler: me,
  }),
];

import type { Middleware } from 'koa';
import { AppError } from '../../domain/errors';
import type { TokenVerifier } from '../auth/verifier';

/** Verifies a bearer token when one is sent; routes decide whether one is required. */
export function authenticate(verifier: TokenVerifier): Middleware {
  return async (ctx, next) => {
    const header = ctx.get('authorization');
    if (header) {
      const m = /^Bearer\s+(\S+)$/i.exec(header);
      if (!m?.[1])
        throw new AppError('unauthenticated', 'invalid_token', 'Authorization must be "Bearer <token>"');
      ctx.state.identity = await verifier.verify(m[1]);
    }
    return next();
  };
}

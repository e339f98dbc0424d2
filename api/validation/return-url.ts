import { z } from 'zod';
import { AppError } from '../../domain/errors';
import { returnUrlAllowed, returnUrlOrigins } from '../../domain/return-urls';
import type { HandlerInput } from '../routing/define-route';

/**
 * A page Stripe sends the customer back to: checked against our origins by the handler (returnUrl: 400
 * return_url_not_allowed), so that every URL it refuses is refused the same way.
 */
export const returnPageUrl = z
  .string()
  .max(2000)
  .describe("An http(s) URL on PUBLIC_BASE_URL's origin or one of RETURN_URL_ORIGINS")
  .meta({ format: 'uri' });

/** What a handler knows of the request that sets where Stripe's hosted pages send the customer back. */
type Caller = Pick<HandlerInput<undefined, undefined, undefined, 'viewer'>, 'ctx' | 'deps'>;

/**
 * The public address customers use (PUBLIC_BASE_URL), else the address they called: proxies' X-Forwarded-*
 * headers count only when TRUST_PROXY says a proxy writes them.
 */
function appBase(input: Caller): string {
  return input.deps.config.PUBLIC_BASE_URL?.replace(/\/$/, '') ?? `${input.ctx.protocol}://${input.ctx.host}`;
}

/** A page of ours on the public address customers use. */
export function appUrl(input: Caller, path: string): string {
  return `${appBase(input)}${path}`;
}

/**
 * Where Stripe sends the customer back: the URL the caller named if it is on our origin or one the operator
 * allowed (RETURN_URL_ORIGINS), else 400 naming the field; our own page when none is named.
 */
export function returnUrl(
  input: Caller,
  field: 'success_url' | 'cancel_url' | 'return_url',
  given: string | undefined,
  ownPath: string,
): string {
  if (given === undefined) return appUrl(input, ownPath);
  const allowed = returnUrlOrigins(appBase(input), input.deps.config.RETURN_URL_ORIGINS);
  if (returnUrlAllowed(given, allowed)) return given;
  throw new AppError(
    'invalid',
    'return_url_not_allowed',
    `body.${field}: must be a URL on ${allowed.join(' or ')}`,
    { field: `body.${field}`, allowed_origins: allowed },
  );
}

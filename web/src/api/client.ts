import createClient, { type Middleware } from 'openapi-fetch';
import type { components, paths } from './openapi.gen';

/** An answer that was not a success: the API's error code and message, or a network failure (status 0). */
export class ApiError extends Error {
  override name = 'ApiError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
  }
}

let bearer: string | null = null;
let onUnauthenticated: (() => void) | null = null;

/** The token every call carries, kept in memory by the session (see auth.tsx). */
export function setBearer(token: string | null): void {
  bearer = token;
}

/** Called when the API answers 401 to a call that carried a token: the session has ended. */
export function onSessionEnded(handler: () => void): void {
  onUnauthenticated = handler;
}

const authMiddleware: Middleware = {
  onRequest({ request }) {
    // A call that names its own token (the sign-in asking who a new token is for) keeps it.
    if (bearer && !request.headers.has('Authorization'))
      request.headers.set('Authorization', `Bearer ${bearer}`);
    return request;
  },
};

/** The typed client: paths, parameters, bodies and answers come from the API's own OpenAPI document. */
export const api = createClient<paths>({ baseUrl: '' });
api.use(authMiddleware);

function errorOf(status: number, body: unknown): ApiError {
  const err = (body as { error?: { code?: unknown; message?: unknown; details?: unknown } } | null)?.error;
  if (err && typeof err.code === 'string' && typeof err.message === 'string') {
    return new ApiError(status, err.code, err.message, err.details as Record<string, unknown> | undefined);
  }
  return new ApiError(status, `http_${status}`, `The server answered ${status}`);
}

/** The answer's body, or an ApiError carrying the API's code and message. */
export async function call<T>(
  request: Promise<{ data?: T; error?: unknown; response: Response }>,
): Promise<T> {
  let result: { data?: T; error?: unknown; response: Response };
  try {
    result = await request;
  } catch (err) {
    throw new ApiError(0, 'network_error', `Could not reach the server (${(err as Error).message})`);
  }
  const { data, error, response } = result;
  if (response.ok) return data as T;
  if (response.status === 401 && bearer) onUnauthenticated?.();
  throw errorOf(response.status, error);
}

/** A binary answer (an invoice PDF) with the same error handling. */
export async function download(path: string): Promise<Blob> {
  let response: Response;
  try {
    response = await fetch(path, { headers: bearer ? { Authorization: `Bearer ${bearer}` } : {} });
  } catch (err) {
    throw new ApiError(0, 'network_error', `Could not reach the server (${(err as Error).message})`);
  }
  if (response.ok) return response.blob();
  if (response.status === 401 && bearer) onUnauthenticated?.();
  throw errorOf(response.status, await response.json().catch(() => null));
}

type Schemas = components extends { schemas: infer S } ? S : never;
type Json<P extends keyof paths, M extends keyof paths[P]> = paths[P][M] extends {
  responses: { 200: { content: { 'application/json': infer R } } };
}
  ? R
  : never;

export type Plan = Json<'/api/v1/subscriptions/plans', 'get'>[number];
export type Subscription = Json<'/api/v1/billing/subscription', 'get'>;
export type Usage = Json<'/api/v1/billing/usage', 'get'>;
export type UpcomingInvoice = Json<'/api/v1/billing/invoices/upcoming', 'get'>;
export type Commitments = Json<'/api/v1/billing/commitment', 'get'>;
export type PrepaidCommit = Json<'/api/v1/billing/prepaid-commits', 'get'>['commits'][number];
export type UsageRecords = Json<'/api/v1/billing/usage_records', 'get'>;
export type PeriodSummary = Json<'/api/v1/billing/period_summary', 'get'>;
export type Invoice = Json<'/api/v1/billing/invoices', 'get'>[number];
export type InvoiceExplanation = Json<'/api/v1/billing/invoices/{id}/explain', 'get'>;
export type AdminInvoiceExplanation = Json<'/api/v1/admin/billing/invoices/{id}/explain', 'get'>;
export type PaymentMethod = Json<'/api/v1/billing/payment-methods', 'get'>[number];
export type Access = Json<'/api/v1/subscriptions/my-access', 'get'>;
export type Provider = Json<'/api/v1/byok/providers', 'get'>[number];
export type ProviderKey = Json<'/api/v1/byok/keys', 'get'>[number];
export type KeyTest = Json<'/api/v1/byok/keys/test/{provider}', 'post'>;
export type ChangeAnswer = Json<'/api/v1/billing/subscription/upgrade', 'post'>;
export type AuthConfig = Json<'/api/v1/auth/config', 'get'>;
export type ServiceList = Json<'/api/v1/subscriptions/services', 'get'>;
export type { Schemas };

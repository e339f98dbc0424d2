/**
 * LLM providers whose keys customers may bring (BYOK), as data: how a key looks, and the cheapest
 * authenticated call that proves a key works. The base URL is a default; deployments override it.
 */

export const BYOK_PROVIDER_IDS = [
  'openai',
  'anthropic',
  'huggingface',
  'google',
  'cohere',
  'groq',
  'mistral',
  'openrouter',
] as const;
export type ByokProviderId = (typeof BYOK_PROVIDER_IDS)[number];

/** How the check call carries the key: a bearer token, or a named header. Never the query string (it ends up in logs). */
export type KeyPlacement = { kind: 'bearer' } | { kind: 'header'; name: string };

export interface ByokProvider {
  id: ByokProviderId;
  name: string;
  /** Shape of a key, checked before anything is stored; deliberately loose where providers do not publish one. */
  keyPattern: RegExp;
  /** What a key starts with, for error messages and the provider list (e.g. `sk-ant-…`). */
  keyFormat: string;
  defaultBaseUrl: string;
  /** Path under the base URL of a GET that needs a valid key and costs nothing. */
  checkPath: string;
  auth: KeyPlacement;
  /** Extra headers the check call needs (e.g. Anthropic's API version). */
  headers?: Record<string, string>;
  /** Statuses besides 401/403 that mean "this key is not valid" (Google answers 400 to a bad key). */
  invalidKeyStatuses?: number[];
  docsUrl: string;
}

const bearer: KeyPlacement = { kind: 'bearer' };

export const BYOK_PROVIDERS: Record<ByokProviderId, ByokProvider> = {
  openai: {
    id: 'openai',
    name: 'OpenAI',
    // sk-… and sk-proj-…, but not the look-alike prefixes of Anthropic and OpenRouter keys.
    keyPattern: /^sk-(?!ant-|or-)[A-Za-z0-9_-]{20,}$/,
    keyFormat: 'sk-…',
    defaultBaseUrl: 'https://api.openai.com',
    checkPath: '/v1/models',
    auth: bearer,
    docsUrl: 'https://platform.openai.com/api-keys',
  },
  anthropic: {
    id: 'anthropic',
    name: 'Anthropic',
    keyPattern: /^sk-ant-[A-Za-z0-9_-]{20,}$/,
    keyFormat: 'sk-ant-…',
    defaultBaseUrl: 'https://api.anthropic.com',
    checkPath: '/v1/models',
    auth: { kind: 'header', name: 'x-api-key' },
    headers: { 'anthropic-version': '2023-06-01' },
    docsUrl: 'https://console.anthropic.com/settings/keys',
  },
  huggingface: {
    id: 'huggingface',
    name: 'Hugging Face',
    keyPattern: /^hf_[A-Za-z0-9]{20,}$/,
    keyFormat: 'hf_…',
    defaultBaseUrl: 'https://huggingface.co',
    checkPath: '/api/whoami-v2',
    auth: bearer,
    docsUrl: 'https://huggingface.co/settings/tokens',
  },
  google: {
    id: 'google',
    name: 'Google Gemini',
    keyPattern: /^AIza[A-Za-z0-9_-]{30,}$/,
    keyFormat: 'AIza…',
    defaultBaseUrl: 'https://generativelanguage.googleapis.com',
    checkPath: '/v1beta/models',
    auth: { kind: 'header', name: 'x-goog-api-key' },
    invalidKeyStatuses: [400],
    docsUrl: 'https://aistudio.google.com/app/apikey',
  },
  cohere: {
    id: 'cohere',
    name: 'Cohere',
    // Cohere keys are 40 letters and digits today; allow some room for change.
    keyPattern: /^[A-Za-z0-9]{30,64}$/,
    keyFormat: '40 letters and digits',
    defaultBaseUrl: 'https://api.cohere.com',
    checkPath: '/v1/models',
    auth: bearer,
    docsUrl: 'https://dashboard.cohere.com/api-keys',
  },
  groq: {
    id: 'groq',
    name: 'Groq',
    keyPattern: /^gsk_[A-Za-z0-9]{20,}$/,
    keyFormat: 'gsk_…',
    defaultBaseUrl: 'https://api.groq.com/openai',
    checkPath: '/v1/models',
    auth: bearer,
    docsUrl: 'https://console.groq.com/keys',
  },
  mistral: {
    id: 'mistral',
    name: 'Mistral AI',
    // Mistral keys are 32 letters and digits today; allow some room for change.
    keyPattern: /^[A-Za-z0-9]{32,64}$/,
    keyFormat: '32 letters and digits',
    defaultBaseUrl: 'https://api.mistral.ai',
    checkPath: '/v1/models',
    auth: bearer,
    docsUrl: 'https://console.mistral.ai/api-keys',
  },
  openrouter: {
    id: 'openrouter',
    name: 'OpenRouter',
    keyPattern: /^sk-or-[A-Za-z0-9_-]{20,}$/,
    keyFormat: 'sk-or-…',
    defaultBaseUrl: 'https://openrouter.ai/api',
    // /v1/models answers without a key; /v1/key describes the calling key, so it needs a valid one.
    checkPath: '/v1/key',
    auth: bearer,
    docsUrl: 'https://openrouter.ai/keys',
  },
};

export function isByokProvider(value: string): value is ByokProviderId {
  return (BYOK_PROVIDER_IDS as readonly string[]).includes(value);
}

/** The environment variable that overrides a provider's base URL, e.g. BYOK_PROVIDER_BASE_URL_OPENAI. */
export function baseUrlVariable(id: ByokProviderId): string {
  return `BYOK_PROVIDER_BASE_URL_${id.toUpperCase()}`;
}

/** The check request for a key: URL and headers (the key travels in a header only). */
export function checkRequest(
  provider: ByokProvider,
  baseUrl: string,
  apiKey: string,
): { url: string; headers: Record<string, string> } {
  const url = `${baseUrl.replace(/\/+$/, '')}${provider.checkPath}`;
  const auth: Record<string, string> =
    provider.auth.kind === 'bearer'
      ? { authorization: `Bearer ${apiKey}` }
      : { [provider.auth.name]: apiKey };
  return { url, headers: { accept: 'application/json', ...provider.headers, ...auth } };
}

export const KEY_TEST_RESULTS = [
  'valid',
  'invalid_key',
  'rate_limited',
  'provider_unreachable',
  'provider_error',
] as const;
export type KeyTestResult = (typeof KEY_TEST_RESULTS)[number];

/** What an HTTP status from a provider's check call says about the key. */
export function classifyCheckStatus(provider: ByokProvider, status: number): KeyTestResult {
  if (status >= 200 && status < 300) return 'valid';
  if (status === 401 || status === 403 || provider.invalidKeyStatuses?.includes(status)) return 'invalid_key';
  if (status === 429) return 'rate_limited';
  if (status >= 500) return 'provider_unreachable';
  // A 404 or a redirect usually means a wrong base URL: the key was not judged either way.
  return 'provider_error';
}

/** The last four characters, the only part of a key ever shown again. */
export function keyHint(apiKey: string): string {
  return apiKey.slice(-4);
}

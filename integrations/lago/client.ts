import { Client } from 'lago-javascript-client';

/** Where Lago is and the key to its API; null everywhere means Lago is not configured. */
export interface LagoSettings {
  /** Lago's API host (e.g. `http://localhost:3000`); `/api/v1` is added when missing. */
  apiUrl: string;
  apiKey: string;
  /** Per-request timeout; a hung Lago must fail the attempt so that Temporal retries it. */
  timeoutMs?: number;
}

export type LagoClient = ReturnType<typeof Client>;

/**
 * Settings from LAGO_API_URL and LAGO_API_KEY: null when neither is set. One without the other is a
 * configuration mistake that would otherwise silently turn usage billing off, so it throws.
 */
export function lagoSettingsFrom(apiUrl?: string, apiKey?: string): LagoSettings | null {
  if (!apiUrl && !apiKey) return null;
  if (!apiUrl) throw new Error('LAGO_API_URL is required when LAGO_API_KEY is set');
  if (!apiKey) throw new Error('LAGO_API_KEY is required when LAGO_API_URL is set');
  return { apiUrl, apiKey };
}

export function lagoBaseUrl(apiUrl: string): string {
  const trimmed = apiUrl.replace(/\/+$/, '');
  return trimmed.endsWith('/api/v1') ? trimmed : `${trimmed}/api/v1`;
}

/** A Lago client without its own 429 retries: Temporal retries the activity, with backoff and history. */
export function createLagoClient(settings: LagoSettings): LagoClient {
  const timeoutMs = settings.timeoutMs ?? 20_000;
  return Client(settings.apiKey, {
    baseUrl: lagoBaseUrl(settings.apiUrl),
    customFetch: (input, init) =>
      fetch(input, { ...init, signal: init?.signal ?? AbortSignal.timeout(timeoutMs) }),
  });
}

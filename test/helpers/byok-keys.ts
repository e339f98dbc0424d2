import { randomBytes } from 'node:crypto';
import { createByokRuntime, type ByokRuntime } from '../../services/byok/runtime';
import { ByokKey, type ByokKeyring } from '../../config/byok-key';

export const newByokKey = () => new ByokKey(randomBytes(32));

export const testKeyring = (): ByokKeyring => ({ current: newByokKey(), previous: null });

/** BYOK settings for a test app: a throwaway master key, and provider URLs/timeout from the test's env. */
export const testByokRuntime = (env: Record<string, string> = {}, keyring = testKeyring()): ByokRuntime =>
  createByokRuntime(keyring, env);

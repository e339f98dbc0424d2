import type { MikroORM } from '@mikro-orm/core';
import { Client, Connection } from '@temporalio/client';
import type Koa from 'koa';
import { createApp } from '../../api/app';
import type { TokenVerifier } from '../../api/auth/verifier';
import { loadConfig } from '../../config/env';
import { createLogger } from '../../config/logger';
import { testByokRuntime } from '../helpers/byok-keys';

/** The real Koa app (all routes and middleware) for the usage benchmark, which drives it in a child process. */
export function createUsageApp(orm: MikroORM, verifier: TokenVerifier): Koa {
  return createApp({
    config: loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent', DATABASE_URL: 'sqlite::memory:' }),
    orm,
    temporal: new Client({
      // No gRPC retries: calls to this unreachable Temporal fail at once and leave no retry timer behind.
      connection: Connection.lazy({ address: '127.0.0.1:1', connectTimeout: 200, interceptors: [] }),
      namespace: 'none',
    }),
    logger: createLogger('silent', 'test'),
    verifier,
    byok: testByokRuntime(),
  }).app;
}

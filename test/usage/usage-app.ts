import Router from '@koa/router';
import type { MikroORM } from '@mikro-orm/core';
import { Client, Connection } from '@temporalio/client';
import Koa from 'koa';
import type { TokenVerifier } from '../../api/auth/verifier';
import { authenticate } from '../../api/middleware/authenticate';
import { bodyReader } from '../../api/middleware/body';
import { errorHandler } from '../../api/middleware/error-handler';
import { requestContext } from '../../api/middleware/request-context';
import { mount, type AnyRoute } from '../../api/route';
import { accessRoutes } from '../../api/routes/access/router';
import { usageRoutes } from '../../api/routes/usage/router';
import { loadConfig } from '../../config/env';
import { createLogger } from '../../config/logger';
import { testByokRuntime } from '../helpers/byok-app';

/**
 * The usage and access routes behind the same middleware, in the same order, as api/app.ts — until
 * app.ts mounts usageRoutes itself, tests and the benchmark use this.
 */
export function createUsageApp(orm: MikroORM, verifier: TokenVerifier): Koa {
  const deps = {
    config: loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent', DATABASE_URL: 'sqlite::memory:' }),
    orm,
    temporal: new Client({
      // No gRPC retries: calls to this unreachable Temporal fail at once and leave no retry
      // timer to fire after the test has closed the connection.
      connection: Connection.lazy({ address: '127.0.0.1:1', connectTimeout: 200, interceptors: [] }),
      namespace: 'none',
    }),
    logger: createLogger('silent', 'test'),
    verifier,
    byok: testByokRuntime(),
  };
  const router = new Router();
  const registry: AnyRoute[] = [];
  mount(router, '/api/v1', [...accessRoutes, ...usageRoutes], deps, registry);
  const app = new Koa({ proxy: true });
  app.silent = true;
  app.use(errorHandler);
  app.use(requestContext(deps.logger));
  app.use(bodyReader);
  app.use(authenticate(verifier));
  app.use(router.routes());
  app.use(router.allowedMethods());
  return app;
}

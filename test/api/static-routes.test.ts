import Router from '@koa/router';
import Koa, { type Context } from 'koa';
import type { AddressInfo } from 'node:net';
import { staticRoutes, type AnyRoute } from '../../api/routing/define-route';

/**
 * Routes without parameters are found by a map lookup before the router runs; every request is served by
 * the route the router would have chosen, with the same parameters and route label.
 */
describe('routes found without the router', () => {
  let server: ReturnType<Koa['listen']>;
  let base: string;
  const served: string[] = [];

  beforeAll(async () => {
    const router = new Router();
    const routes: AnyRoute[] = [];
    const add = (method: 'get' | 'post', fullPath: string, name: string) => {
      const handle = async (ctx: Context) => {
        served.push(`${name} via ${(ctx as { _matchedRoute?: string })._matchedRoute}`);
        ctx.body = { name, params: ctx.params };
      };
      routes.push({ method, path: fullPath, fullPath, handle } as unknown as AnyRoute);
      router[method](fullPath, handle);
    };
    add('get', '/items/:id', 'item');
    add('get', '/items/summary', 'summary');
    add('post', '/report', 'report');
    add('get', '/report', 'report-read');
    add('post', '/report', 'second-report');
    const app = new Koa();
    app.use(staticRoutes(routes));
    app.use(router.routes());
    server = app.listen(0);
    await new Promise((r) => server.once('listening', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise((r) => server.close(r)));
  beforeEach(() => {
    served.length = 0;
  });

  const ask = async (method: string, path: string) => {
    const res = await fetch(`${base}${path}`, { method });
    return { status: res.status, body: res.status === 200 ? await res.json() : null };
  };

  it('serves a static path directly, with no parameters and the route as its label', async () => {
    expect(await ask('POST', '/report?x=1')).toEqual({ status: 200, body: { name: 'report', params: {} } });
    expect(await ask('GET', '/report')).toEqual({ status: 200, body: { name: 'report-read', params: {} } });
    expect(served).toEqual(['report via /report', 'report-read via /report']);
  });

  it('leaves to the router a static path an earlier route with parameters takes', async () => {
    expect(await ask('GET', '/items/summary')).toEqual({
      status: 200,
      body: { name: 'item', params: { id: 'summary' } },
    });
    expect(await ask('GET', '/items/42')).toEqual({
      status: 200,
      body: { name: 'item', params: { id: '42' } },
    });
  });

  it('leaves other spellings and methods to the router, which answers them as before', async () => {
    expect((await ask('POST', '/report/')).body).toEqual({ name: 'report', params: {} });
    expect((await ask('POST', '/REPORT')).body).toEqual({ name: 'report', params: {} });
    expect((await ask('DELETE', '/report')).status).toBe(404);
  });
});

import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { APP_PATHS, WEB_DIST_DIR, webAppBuilt, webAppPolicy } from '../../api/pages/web-app';
import { startTestApi, type TestApi } from '../helpers/api';
import { startTestIdp, type TestIdp } from '../helpers/auth';
import { openTestDatabase } from '../helpers/db';

const get = (url: string, headers: Record<string, string> = {}) =>
  fetch(url, { headers: { 'accept-encoding': 'identity', ...headers } });

describe('the web app, served by the API at /', () => {
  let db: Awaited<ReturnType<typeof openTestDatabase>>;
  let idp: TestIdp;
  let api: TestApi;
  let assets: string[];

  beforeAll(async () => {
    if (!webAppBuilt())
      throw new Error('web/dist is missing: `node tools/web.js` builds it (npm test runs it)');
    [db, idp] = await Promise.all([openTestDatabase('sqlite'), startTestIdp()]);
    api = await startTestApi({
      orm: db.orm,
      env: { OIDC_ISSUER: idp.issuer, OIDC_JWKS_URL: idp.jwksUrl, OIDC_WEB_CLIENT_ID: 'billing-web' },
    });
    const index = readFileSync(join(WEB_DIST_DIR, 'index.html'), 'utf8');
    assets = [...index.matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)].map((m) => m[1]!);
  });
  afterAll(async () => {
    await api?.stop();
    await Promise.all([db?.close(), idp?.stop()]);
  });

  it('answers every page of the app with index.html, never cached, under a strict policy', async () => {
    for (const path of ['/', '/plans', '/billing', '/billing/success?session_id=cs_1', '/billing/canceled']) {
      const res = await get(`${api.url}${path}`);
      const html = await res.text();
      expect({ path, status: res.status, type: res.headers.get('content-type') }).toEqual({
        path,
        status: 200,
        type: 'text/html; charset=utf-8',
      });
      expect(html).toContain('<div id="root">');
      expect(res.headers.get('cache-control')).toBe('no-cache');
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      const policy = res.headers.get('content-security-policy') ?? '';
      expect(policy).toBe(webAppPolicy(idp.issuer));
      expect(policy).toContain("default-src 'none'");
      expect(policy).toContain("script-src 'self';");
      expect(policy).toContain(`connect-src 'self' ${new URL(idp.issuer).origin}`);
      expect(policy).not.toMatch(/unsafe-(inline|eval)/);
      // No inline script or style for the policy to refuse: the page loads only the hashed files.
      expect(html).not.toMatch(/<script(?![^>]*\ssrc=)[^>]*>/);
      expect(html).not.toMatch(/<style\b|\sstyle=/);
    }
  });

  it('serves index.html on every path the app draws, so a reload or a link from outside finds the page', () => {
    const app = readFileSync(join(__dirname, '..', '..', 'web', 'src', 'app.tsx'), 'utf8');
    const drawn = [...app.matchAll(/(?:case |^\s+)'(\/[a-z/-]*)'(?::| =>)/gm)].map((m) => m[1]);
    expect(drawn.length).toBeGreaterThan(10);
    expect([...new Set(drawn)].sort()).toEqual([...APP_PATHS].sort());
  });

  it('answers 304 to a browser that has the current index.html', async () => {
    const first = await get(`${api.url}/plans`);
    const etag = first.headers.get('etag');
    expect(etag).toBeTruthy();
    // node:http rather than fetch, which marks a conditional request no-cache and so always gets a 200.
    const status = await new Promise<number | undefined>((resolve, reject) =>
      request(`${api.url}/plans`, { headers: { 'if-none-match': etag! } }, (res) => {
        res.resume();
        resolve(res.statusCode);
      })
        .on('error', reject)
        .end(),
    );
    expect(status).toBe(304);
  });

  it('serves the hashed files immutable for a year, compressed when asked', async () => {
    expect(assets.length).toBeGreaterThanOrEqual(2);
    for (const path of assets) {
      const plain = await get(`${api.url}${path}`);
      const body = Buffer.from(await plain.arrayBuffer());
      expect({ path, status: plain.status }).toEqual({ path, status: 200 });
      expect(plain.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
      expect(plain.headers.get('content-type')).toMatch(/^(text\/javascript|text\/css)/);
      const zipped = await get(`${api.url}${path}`, { 'accept-encoding': 'gzip' });
      // fetch undoes the gzip itself; the header says it was sent compressed.
      expect(zipped.headers.get('content-encoding')).toBe('gzip');
      expect(Buffer.from(await zipped.arrayBuffer()).equals(body)).toBe(true);
    }
  });

  it('serves nothing else from the disk', async () => {
    for (const path of [
      '/assets/missing-abc123.js',
      '/assets/..%2Fpackage.json',
      '/assets/%2E%2E%2Findex.html',
      '/assets/.build-stamp',
      '/index.html',
      '/web/dist/index.html',
      '/package.json',
      '/nowhere',
    ]) {
      const res = await get(`${api.url}${path}`);
      expect({ path, status: res.status }).toEqual({ path, status: expect.any(Number) });
      expect({ path, ok: res.ok }).toEqual({ path, ok: false });
      expect(res.headers.get('content-type') ?? '').not.toContain('text/html');
    }
  });

  it('leaves the API, its documents and its errors as they were', async () => {
    const plans = await api.request('GET', '/api/v1/subscriptions/plans');
    expect(plans.status).toBe(200);
    expect(Array.isArray(plans.body)).toBe(true);
    const missing = await api.request('GET', '/api/v1/billing/nowhere');
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBeDefined();
    expect((await get(`${api.url}/openapi.json`)).headers.get('content-type')).toContain('application/json');
    expect((await get(`${api.url}/docs`)).status).toBe(200);
  });
});

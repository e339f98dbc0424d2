import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, extname, join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import type Router from '@koa/router';
import type { Context } from 'koa';

/** Where `node tools/web.js` (run by `npm run dev` and `npm test`) puts the built web app. */
export const WEB_DIST_DIR = resolve(__dirname, '..', '..', 'web', 'dist');

/** The app's own paths: each answers the app's index.html and the app draws the page. */
export const APP_PATHS = [
  '/',
  '/plans',
  '/signin',
  '/signup',
  '/auth/callback',
  '/billing',
  '/billing/success',
  '/billing/canceled',
  '/billing/change-plan',
  '/billing/cancel',
  '/billing/payment-methods',
  '/billing/credits',
  '/billing/invoices',
  '/billing/keys',
  '/admin',
  '/admin/customers',
  '/admin/customer',
  '/admin/audit',
  '/admin/plans',
  '/admin/credit-packs',
  '/admin/coupons',
  '/admin/webhooks',
  '/admin/usage',
  '/admin/margins',
  '/admin/operations',
];

const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
  '.json': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
};
const COMPRESSIBLE = new Set(['.js', '.css', '.svg', '.json', '.txt', '.html']);

/**
 * Scripts, styles and calls from the engine's own origin only: no inline script or style, no eval, no
 * other site, no framing. The identity provider's origin is allowed for the sign-in's token calls.
 */
export function webAppPolicy(oidcIssuer?: string): string {
  const connect = ["'self'"];
  if (oidcIssuer) connect.push(new URL(oidcIssuer).origin);
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    `connect-src ${connect.join(' ')}`,
    "manifest-src 'self'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}

interface Asset {
  body: Buffer;
  gzip: Buffer | null;
  etag: string;
  type: string;
  mtimeMs: number;
}

/** Files read once and kept while unchanged on disk, so a rebuild under `npm run dev` is served at once. */
class AssetCache {
  private readonly files = new Map<string, Asset>();
  get(file: string): Asset | null {
    let mtimeMs: number;
    try {
      const st = statSync(file);
      if (!st.isFile()) return null;
      mtimeMs = st.mtimeMs;
    } catch {
      return null;
    }
    const hit = this.files.get(file);
    if (hit && hit.mtimeMs === mtimeMs) return hit;
    const body = readFileSync(file);
    const ext = extname(file);
    const asset: Asset = {
      body,
      gzip: COMPRESSIBLE.has(ext) && body.length > 1024 ? gzipSync(body) : null,
      etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`,
      type: ext === '.html' ? 'text/html; charset=utf-8' : (TYPES[ext] ?? 'application/octet-stream'),
      mtimeMs,
    };
    this.files.set(file, asset);
    return asset;
  }
}

function send(ctx: Context, asset: Asset, cacheControl: string): void {
  ctx.set('Cache-Control', cacheControl);
  ctx.set('X-Content-Type-Options', 'nosniff');
  ctx.set('ETag', asset.etag);
  ctx.vary('Accept-Encoding');
  ctx.type = asset.type;
  ctx.status = 200;
  if (ctx.fresh) {
    ctx.status = 304;
    return;
  }
  if (asset.gzip && ctx.acceptsEncodings('gzip', 'identity') === 'gzip') {
    ctx.set('Content-Encoding', 'gzip');
    ctx.body = asset.gzip;
  } else {
    ctx.body = asset.body;
  }
}

/** True when the web app has been built (web/dist/index.html exists). */
export function webAppBuilt(dir = WEB_DIST_DIR): boolean {
  return existsSync(join(dir, 'index.html'));
}

/**
 * Serves the built web app: its pages answer index.html (never cached: it names the current assets), the
 * hashed files under /assets/ are immutable for a year, and the few unhashed files are cached an hour.
 */
export function mountWebApp(router: Router, opts: { dir?: string; oidcIssuer?: string } = {}): void {
  const dir = opts.dir ?? WEB_DIST_DIR;
  const cache = new AssetCache();
  const policy = webAppPolicy(opts.oidcIssuer);
  const index = join(dir, 'index.html');
  const page = (ctx: Context) => {
    const asset = cache.get(index);
    if (!asset) return;
    ctx.set('Content-Security-Policy', policy);
    ctx.set('Referrer-Policy', 'no-referrer');
    ctx.set('X-Frame-Options', 'DENY');
    send(ctx, asset, 'no-cache');
  };
  for (const path of APP_PATHS) router.get(path, page);
  router.get('/assets/:file', (ctx) => {
    const name = ctx.params.file ?? '';
    // One flat folder of hashed names: nothing with a separator or a dot-dot reaches the disk.
    if (name !== basename(name) || name.startsWith('.') || !/^[\w.-]+$/.test(name)) return;
    const asset = cache.get(join(dir, 'assets', name));
    if (asset) send(ctx, asset, 'public, max-age=31536000, immutable');
  });
  router.get('/favicon.svg', (ctx) => {
    const asset = cache.get(join(dir, 'favicon.svg'));
    if (asset) send(ctx, asset, 'public, max-age=3600');
  });
}

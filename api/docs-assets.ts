import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type Router from '@koa/router';

const SWAGGER_UI_DIR = dirname(require.resolve('swagger-ui-dist/package.json'));

/** The only files served from the viewer's package: nothing else of node_modules is reachable. */
const FROM_PACKAGE: Record<string, string> = {
  'swagger-ui-bundle.js': 'application/javascript; charset=utf-8',
  'swagger-ui.css': 'text/css; charset=utf-8',
};

/** Started by the page, not inline: the page's Content-Security-Policy allows scripts from this origin only. */
const INIT = `window.addEventListener('load', function () {
  window.ui = SwaggerUIBundle({
    url: '/openapi.json',
    dom_id: '#swagger-ui',
    deepLinking: true,
    tryItOutEnabled: true,
    persistAuthorization: false,
    displayRequestDuration: true,
    filter: true,
  });
});
`;

const DOCS_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  // Swagger UI sets element styles at run time.
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'none'",
].join('; ');

/** GET /docs (the page) and /docs/assets/* (the viewer's files, cached a day). */
export function mountDocs(router: Router, page: string): void {
  const files = new Map<string, { type: string; body: Buffer | string }>();
  for (const [name, type] of Object.entries(FROM_PACKAGE)) {
    files.set(name, { type, body: readFileSync(join(SWAGGER_UI_DIR, name)) });
  }
  files.set('docs-init.js', { type: 'application/javascript; charset=utf-8', body: INIT });
  router.get('/docs', (ctx) => {
    ctx.set('Content-Security-Policy', DOCS_CSP);
    ctx.set('Cache-Control', 'no-cache');
    ctx.type = 'html';
    ctx.body = page;
  });
  router.get('/docs/assets/:file', (ctx) => {
    const file = files.get(ctx.params.file ?? '');
    if (!file) return;
    ctx.set('Cache-Control', 'public, max-age=86400');
    ctx.set('X-Content-Type-Options', 'nosniff');
    ctx.type = file.type;
    ctx.body = file.body;
  });
}

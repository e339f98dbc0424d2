import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

/** The customer web app; built into web/dist, which the API serves at / (see api/pages/web-app.ts). */
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/',
  // Nothing in public/ is hashed: the API caches it briefly, unlike the hashed files under /assets/.
  publicDir: 'public',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    assetsDir: 'assets',
    // No inline scripts or data: URLs: the page's Content-Security-Policy allows files from the engine only.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    sourcemap: false,
    target: 'es2022',
  },
});

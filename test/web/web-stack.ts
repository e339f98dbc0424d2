import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { webAppBuilt } from '../../api/pages/web-app';
import { startFullStack, type FullStack } from '../helpers/full-stack';
import { launchChromium, seriousA11yViolations } from './browser';

/**
 * The whole engine (dev sign-in, its own task queue and VAR_DIR) and a Chromium, started together before
 * the file's tests and stopped after them. Read them through the getters once the tests run.
 */
export function useWebStack(taskQueue: string) {
  let stack: FullStack | undefined;
  let chromium: Awaited<ReturnType<typeof launchChromium>> | undefined;
  let varDir: string | undefined;

  beforeAll(async () => {
    if (!webAppBuilt())
      throw new Error('web/dist is missing: `node tools/web.js` builds it (npm test runs it)');
    const dir = mkdtempSync(join(tmpdir(), `${taskQueue}-var-`));
    varDir = dir;
    const started = await Promise.allSettled([
      startFullStack({
        taskQueue,
        apiEnv: () => ({ OIDC_ISSUER: '', OIDC_JWKS_URL: '', VAR_DIR: dir, DEV_SIGN_IN: 'true' }),
      }).then((s) => (stack = s)),
      launchChromium().then((c) => (chromium = c)),
    ]);
    for (const r of started) if (r.status === 'rejected') throw r.reason;
  }, 120_000);

  afterAll(async () => {
    await chromium?.close();
    await stack?.stop();
    if (varDir) rmSync(varDir, { recursive: true, force: true });
  });

  return {
    get stack(): FullStack {
      if (!stack) throw new Error('the stack is not started');
      return stack;
    },
    get browser() {
      if (!chromium) throw new Error('Chromium is not started');
      return chromium.browser;
    },
  };
}

/** No serious accessibility violation on the page, named in the failure. */
export async function expectAccessible(page: Page, name: string): Promise<void> {
  expect({ page: name, violations: await seriousA11yViolations(page) }).toEqual({
    page: name,
    violations: [],
  });
}

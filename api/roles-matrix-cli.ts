/**
 * Prints who may call every route (the roles matrix of docs/api.md), built from the routes' declared access;
 * `--write` puts it into docs/api.md between its markers.
 *   npx tsx api/roles-matrix-cli.ts [--write]
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { format } from 'prettier';
import { createApp } from './app';
import { MATRIX_END, MATRIX_START, rolesMatrix } from './roles-matrix';
import { loadConfig } from '../config/env';
import { createLogger } from '../config/logger';

async function main(): Promise<void> {
  // The routes are all that is read: nothing is served, so the app gets no database or Temporal.
  const { routes, stripeEventForwarder } = createApp({
    config: loadConfig({ NODE_ENV: 'development' }),
    orm: null as never,
    temporal: null as never,
    logger: createLogger('silent', 'roles-matrix'),
    verifier: null as never,
    byok: null as never,
  });
  stripeEventForwarder.close();
  const table = rolesMatrix(routes);
  if (!process.argv.includes('--write')) {
    process.stdout.write(`${table}\n`);
    return;
  }
  const path = join(__dirname, '..', 'docs', 'api.md');
  const page = readFileSync(path, 'utf8');
  const start = page.indexOf(MATRIX_START);
  const end = page.indexOf(MATRIX_END);
  if (start < 0 || end < start) throw new Error(`docs/api.md has no ${MATRIX_START} … ${MATRIX_END} markers`);
  const next = `${page.slice(0, start + MATRIX_START.length)}\n\n${table}\n\n${page.slice(end)}`;
  writeFileSync(path, await format(next, { filepath: path }));
}

main().catch((err: unknown) => {
  console.error((err as Error).message);
  process.exit(1);
});

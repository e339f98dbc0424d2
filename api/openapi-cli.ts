/**
 * Prints the OpenAPI document the API serves at /openapi.json, without serving anything: the web app's
 * build generates its typed client from it, so a changed route breaks the web build.
 *   npx tsx api/openapi-cli.ts [--out file.json]
 */
import { writeFileSync } from 'node:fs';
import { createApp } from './app';
import { loadConfig } from '../config/env';
import { createLogger } from '../config/logger';

function main(): void {
  // The routes are all that is read: nothing is served, so the app gets no database or Temporal.
  const { openapi, stripeEventForwarder } = createApp({
    config: loadConfig({ NODE_ENV: 'development' }),
    orm: null as never,
    temporal: null as never,
    logger: createLogger('silent', 'openapi'),
    verifier: null as never,
    byok: null as never,
  });
  stripeEventForwarder.close();
  const json = `${JSON.stringify(openapi, null, 2)}\n`;
  const at = process.argv.indexOf('--out');
  const out = at >= 0 ? process.argv[at + 1] : undefined;
  if (out) writeFileSync(out, json);
  else process.stdout.write(json);
}

main();

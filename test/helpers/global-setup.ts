/**
 * Once per `jest` run: the tools the suites need (built once into the user cache), one throwaway
 * PostgreSQL cluster (each suite makes its own database in it), a migrated database of each dialect that
 * suites' databases are copied from, for the whole suite a Keycloak the suites share (launched, not awaited),
 * and one workflow bundle that every test worker reuses instead of bundling again.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundleWorkflows } from '../../worker/workflow-bundle';
import { migratedTemplates } from './db';
import { launchSharedKeycloak } from './keycloak';

/* eslint-disable @typescript-eslint/no-require-imports */
const { startThrowawayCluster } = require('../../tools/postgres');
const { ensureTemporalCli } = require('../../tools/temporal-cli');
const { ensureTemporalServer } = require('../../tools/temporal-server');
const { ensureTestServer } = require('../../tools/temporal-test-server/ensure');
/* eslint-enable @typescript-eslint/no-require-imports */

export default async function globalSetup(): Promise<void> {
  process.env.TEMPORAL_CLI_PATH ??= ensureTemporalCli();
  process.env.TEMPORAL_SERVER_PATH ??= ensureTemporalServer();
  process.env.TEMPORAL_TEST_SERVER_PATH ??= await ensureTestServer();
  const pg = await startThrowawayCluster();
  (globalThis as { __billingPg?: { stop(): void } }).__billingPg = pg;
  process.env.TEST_POSTGRES_URL = pg.url;
  (globalThis as { __billingKeycloak?: { stop(): Promise<void> } | null }).__billingKeycloak =
    await launchSharedKeycloak();
  const templates = mkdtempSync(join(tmpdir(), 'billing-templates-'));
  (globalThis as { __billingTemplates?: string }).__billingTemplates = templates;
  await migratedTemplates(pg.url, templates);

  const code = await bundleWorkflows(console.warn);
  const bundlePath = join(tmpdir(), `billing-workflows-${process.pid}.js`);
  writeFileSync(bundlePath, code);
  process.env.TEST_WORKFLOW_BUNDLE = bundlePath;
}

/**
 * `npm run replay:record`: re-records the replay corpus (test/replay/histories) from the scenario tests
 * that run the engine's workflows on real Temporal servers. Only for a workflow change that is meant to
 * break old histories, before the first release; say why in the commit (see docs/architecture.md,
 * "Changing a workflow safely").
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';

const root = resolve(__dirname, '..');
const corpus = join(root, 'test', 'replay', 'histories');

/**
 * The scenarios whose histories make the corpus: every workflow type and every path docs/architecture.md
 * names.
 */
export const SCENARIOS = [
  'test/workflows/subscription.test.ts',
  'test/workflows/dunning.test.ts',
  'test/workflows/dunning-restart.test.ts',
  'test/workflows/small-workflows.test.ts',
  'test/workflows/credit-workflows.test.ts',
  'test/workflows/webhook-workflows.test.ts',
  'test/workflows/retention.test.ts',
  'test/api/credit-housekeeping.test.ts',
  'test/usage/rollup.test.ts',
  'test/api/stripe-events.test.ts',
  'test/integration/customer-onboarding.test.ts',
  'test/e2e/subscription-cycle.test.ts',
  'test/e2e/coupons.test.ts',
  'test/e2e/currencies.test.ts',
  'test/api/trial-without-card.test.ts',
  'test/api/billing-anchor.test.ts',
  'test/api/seats.test.ts',
  'test/api/commitments.test.ts',
  'test/api/prepaid-commits.test.ts',
  'test/api/plan-migration.test.ts',
  'test/api/plan-rehearsal.test.ts',
];

rmSync(corpus, { recursive: true, force: true });
mkdirSync(corpus, { recursive: true });
const jest = join(root, 'node_modules', '.bin', 'jest');
const result = spawnSync(jest, ['--ci', '--runInBand', ...SCENARIOS], {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, REPLAY_RECORD_DIR: corpus },
});
process.exit(result.status ?? 1);

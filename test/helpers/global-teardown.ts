import { rmSync } from 'node:fs';

export default async function globalTeardown(): Promise<void> {
  (globalThis as { __billingPg?: { stop(): void } }).__billingPg?.stop();
  if (process.env.TEST_WORKFLOW_BUNDLE) rmSync(process.env.TEST_WORKFLOW_BUNDLE, { force: true });
}

import { rmSync } from 'node:fs';

export default async function globalTeardown(): Promise<void> {
  await (globalThis as { __billingKeycloak?: { stop(): Promise<void> } | null }).__billingKeycloak?.stop();
  (globalThis as { __billingPg?: { stop(): void } }).__billingPg?.stop();
  const templates = (globalThis as { __billingTemplates?: string }).__billingTemplates;
  if (templates) rmSync(templates, { recursive: true, force: true });
  if (process.env.TEST_WORKFLOW_BUNDLE) rmSync(process.env.TEST_WORKFLOW_BUNDLE, { force: true });
}

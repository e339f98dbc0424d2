import { condition } from '@temporalio/workflow';

/** A workflow blocked two calls deep, for the stack-trace query (stack-frames.test.ts). */
export async function waitingWorkflow(): Promise<void> {
  await renewalLoop();
}

async function renewalLoop(): Promise<void> {
  await waitForTheRenewal();
}

async function waitForTheRenewal(): Promise<void> {
  await condition(() => false, '1 day');
}

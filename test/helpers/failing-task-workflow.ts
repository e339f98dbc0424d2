import { condition, defineUpdate, setHandler } from '@temporalio/workflow';

export const poke = defineUpdate<string>('poke');

/**
 * A run whose workflow task fails on every attempt after its first (as a nondeterministic replay would): a
 * plain Error fails the task, not the workflow, and Temporal retries it for ever.
 */
export async function failingTask(): Promise<void> {
  setHandler(poke, () => 'poked');
  await condition(() => false, '1 second').catch(() => undefined);
  throw new Error('this task fails on every attempt');
}

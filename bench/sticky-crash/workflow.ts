import { condition, defineSignal, setHandler } from '@temporalio/workflow';

export const poke = defineSignal('poke');

/** Waits for pokes: each one is a workflow task, which is all the measurement needs. */
export async function waiter(): Promise<void> {
  let pokes = 0;
  setHandler(poke, () => void pokes++);
  await condition(() => pokes >= 1_000);
}

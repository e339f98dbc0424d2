/** What every Lago activity answers when LAGO_API_URL/LAGO_API_KEY are not set: nothing was sent. */
export interface LagoSkipped {
  skipped: true;
}

export const skipped = (): LagoSkipped => ({ skipped: true });

/** Whether a Lago activity's answer says it sent nothing (the worker has no Lago settings). */
export function wasSkipped(answer: unknown): answer is LagoSkipped {
  return typeof answer === 'object' && answer !== null && (answer as { skipped?: unknown }).skipped === true;
}

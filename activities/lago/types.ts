/** What every Lago activity answers when LAGO_API_URL/LAGO_API_KEY are not set: nothing was sent. */
export interface LagoSkipped {
  skipped: true;
}

export const skipped = (): LagoSkipped => ({ skipped: true });

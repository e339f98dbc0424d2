/** One thing a sync with Stripe did, or would do in a dry run. */
export interface SyncStep {
  action: 'create' | 'keep' | 'update';
  what: string;
}

import type { PendingChange } from '../messages';
import { db } from './activity-proxies';
import type { Run } from './run';

/** Changes the pending plan change and the mirror's copy of it, which reads show. */
export async function setPending(run: Run, next: PendingChange | null): Promise<void> {
  if (next === run.state.pendingChange) return;
  run.state.pendingChange = next;
  await mirrorPending(run);
}

export async function mirrorPending({ state }: Run): Promise<void> {
  const p = state.pendingChange;
  await db.recordPendingChange({
    subscriptionId: state.subscriptionId,
    pending: p
      ? { tier: p.planCode, interval: p.interval, amountCents: p.amountCents, effectiveAt: p.effectiveAt }
      : null,
  });
}

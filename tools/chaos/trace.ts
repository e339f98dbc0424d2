import type { Client as TemporalClient } from '@temporalio/client';
import type Stripe from 'stripe';
import type { Sql } from '../../db/raw-sql';
import { workflowIds } from '../../workflows/ids';

/**
 * Where a stuck customer's money stands, in one line a failed run prints beside the surprise: the chaos
 * run's service logs stay on the machine that ran it, and a CI's printout is often all there is to read.
 */
export async function dunningTrace(
  deps: { sql: Sql; temporal: TemporalClient; stripe: Stripe },
  email: string,
): Promise<string> {
  const parts: string[] = [];
  const step = async (what: string, fn: () => Promise<string>) => {
    parts.push(
      await fn().catch((err: unknown) => `${what}: ${err instanceof Error ? err.message : String(err)}`),
    );
  };
  const [sub] = await deps.sql.run<{ id: string; status: string }>(
    `select s.id, s.status from subscriptions s join customers c on c.id = s.customer_id
      where c.email = ? order by s.created_at desc limit 1`,
    [email],
  );
  if (!sub) return 'trace: no subscription stored';
  const [invoice] = await deps.sql.run<{ stripe_invoice_id: string; status: string }>(
    `select i.stripe_invoice_id, i.status from invoices i join customers c on c.id = i.customer_id
      where c.email = ? order by i.created_at desc limit 1`,
    [email],
  );
  parts.push(
    `stored: ${sub.status}, last invoice ${invoice ? `${invoice.stripe_invoice_id} ${invoice.status}` : 'none'}`,
  );
  if (invoice) {
    await step('Stripe', async () => {
      const inv = await deps.stripe.invoices.retrieve(invoice.stripe_invoice_id);
      return `Stripe: ${inv.status}, ${inv.attempt_count} attempts`;
    });
    await step('dunning run', () =>
      describeRun(deps.temporal, workflowIds.dunning(invoice.stripe_invoice_id)),
    );
  }
  const subscriptionRun = workflowIds.subscription(sub.id);
  await step('subscription run', () => describeRun(deps.temporal, subscriptionRun));
  await step('events', async () => {
    const events = await deps.sql.run<{ type: string; forwarded_at: unknown }>(
      `select type, forwarded_at from webhook_events where workflow_id = ? order by received_at desc limit 10`,
      [subscriptionRun],
    );
    return `its last events (newest first): ${events.map((e) => `${e.type}${e.forwarded_at ? '' : ' (not forwarded)'}`).join(', ') || 'none'}`;
  });
  return `trace: ${parts.join('; ')}`;
}

async function describeRun(temporal: TemporalClient, workflowId: string): Promise<string> {
  const d = await temporal.workflow.getHandle(workflowId).describe();
  const pending = (d.raw.pendingActivities ?? []).map(
    (a) =>
      `${a.activityType?.name} attempt ${a.attempt}${a.lastFailure?.message ? ` (${a.lastFailure.message.slice(0, 120)})` : ''}`,
  );
  return `${workflowId} ${d.status.name}${pending.length ? `, pending ${pending.join(', ')}` : ''}`;
}

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
    // A forwarded event names where it went: subscriptions by id, mirror runs by workflow id (one or more).
    const events = await deps.sql.run<{ type: string; workflow_id: string | null; forwarded_at: unknown }>(
      `select type, workflow_id, forwarded_at from webhook_events
        where workflow_id like ? or object_id = ? order by received_at desc limit 12`,
      [`%${sub.id}%`, invoice?.stripe_invoice_id ?? ''],
    );
    const shown = events.map((e) => {
      const route = !e.forwarded_at
        ? 'waiting'
        : e.workflow_id?.includes(sub.id)
          ? 'to its run'
          : 'elsewhere';
      return `${e.type} (${route})`;
    });
    return `events of the run and the invoice, newest first: ${shown.join(', ') || 'none'}`;
  });
  return `trace: ${parts.join('; ')}`;
}

async function describeRun(temporal: TemporalClient, workflowId: string): Promise<string> {
  const d = await temporal.workflow.getHandle(workflowId).describe();
  const pending = (d.raw.pendingActivities ?? []).map(
    (a) =>
      `${a.activityType?.name} attempt ${a.attempt}${a.lastFailure?.message ? ` (${a.lastFailure.message.slice(0, 120)})` : ''}`,
  );
  // A workflow task scheduled long ago sits on a queue no worker takes from (a dead worker's sticky queue).
  const task = d.raw.pendingWorkflowTask;
  const scheduled = task?.scheduledTime?.seconds
    ? `, a workflow task waiting ${Math.round(Date.now() / 1000 - Number(task.scheduledTime.seconds))} s`
    : '';
  return `${workflowId} ${d.status.name}${pending.length ? `, pending ${pending.join(', ')}` : ''}${scheduled}`;
}

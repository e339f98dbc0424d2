import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Context } from '@temporalio/activity';
import { Worker } from '@temporalio/worker';
import {
  mirrorInvoiceWorkflow,
  readCardsWorkflow,
  syncChargeWorkflow,
  syncInvoiceWorkflow,
} from '../../workflows';
import { mirrorAgain } from '../../workflows/messages';
import { startTimeSkipping, workflowBundle } from '../helpers/temporal';

/**
 * A mirror run of one Stripe object, started or told again with signal-with-start as the intake does for
 * each event of the object: a burst costs one or two reads, and no read that began before the last event
 * is the mirror's final word.
 */
describe('mirror runs, one per Stripe object at a time', () => {
  let env: TestWorkflowEnvironment;
  beforeAll(async () => {
    env = await startTimeSkipping();
  });
  afterAll(() => env?.teardown());

  /** An invoice whose status Stripe moves on; each read returns the status at the read's start. */
  function stripeInvoice() {
    const state = { status: 'draft', reads: [] as string[] };
    let release: () => void = () => {};
    let hold: Promise<void> | null = null;
    let readStarted: () => void = () => {};
    let started = new Promise<void>((r) => (readStarted = r));
    return {
      state,
      /** The next read stays in progress until `finish()`. */
      holdNextRead() {
        hold = new Promise<void>((r) => (release = r));
        started = new Promise<void>((r) => (readStarted = r));
      },
      readInProgress: () => started,
      finish: () => release(),
      activities: {
        async fetchInvoice(id: string) {
          const seen = state.status;
          state.reads.push(seen);
          readStarted();
          const h = hold;
          hold = null;
          if (h) await h;
          return { stripeInvoiceId: id, status: seen };
        },
      },
    };
  }

  const tell = (taskQueue: string, invoiceId: string) =>
    env.client.workflow.signalWithStart(syncInvoiceWorkflow, {
      workflowId: `invoice-mirror-${invoiceId}`,
      taskQueue,
      args: [invoiceId],
      signal: mirrorAgain,
    });

  it('reads once more when an event of the invoice arrives during the read, ending on the newest state', async () => {
    const stripe = stripeInvoice();
    const worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue: 'mirror-during',
      workflowBundle: workflowBundle(),
      activities: stripe.activities,
    });
    const result = await worker.runUntil(async () => {
      stripe.holdNextRead();
      const handle = await tell('mirror-during', 'in_during');
      await stripe.readInProgress();
      // Finalized in Stripe after the read began: its event reaches the run while the read is out.
      stripe.state.status = 'open';
      await tell('mirror-during', 'in_during');
      stripe.finish();
      return handle.result();
    });
    expect({ result, reads: stripe.state.reads }).toEqual({
      result: { status: 'open' },
      reads: ['draft', 'open'],
    });
  });

  it("costs one read for a burst of the invoice's events that arrives before its first read", async () => {
    const stripe = stripeInvoice();
    stripe.state.status = 'paid';
    const handles: Awaited<ReturnType<typeof tell>>[] = [];
    // Created, finalized and paid, told before any worker polls: the first read sees them all.
    for (let i = 0; i < 3; i++) handles.push(await tell('mirror-burst', 'in_burst'));
    const worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue: 'mirror-burst',
      workflowBundle: workflowBundle(),
      activities: stripe.activities,
    });
    const result = await worker.runUntil(() => handles[0]!.result());
    expect(new Set(handles.map((h) => h.signaledRunId)).size).toBe(1);
    expect({ result, reads: stripe.state.reads }).toEqual({ result: { status: 'paid' }, reads: ['paid'] });
  });

  it('starts a new run for an event that arrives after the last run ended', async () => {
    const stripe = stripeInvoice();
    const worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue: 'mirror-later',
      workflowBundle: workflowBundle(),
      activities: stripe.activities,
    });
    const results = await worker.runUntil(async () => {
      const first = await (await tell('mirror-later', 'in_later')).result();
      stripe.state.status = 'void';
      const second = await (await tell('mirror-later', 'in_later')).result();
      return [first, second];
    });
    expect(results).toEqual([{ status: 'draft' }, { status: 'void' }]);
  });

  it("mirrors a renewal's invoice and its payment's charge in one run, one step a read", async () => {
    const steps: string[] = [];
    const worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue: 'mirror-renewal',
      workflowBundle: workflowBundle(),
      activities: {
        async mirrorInvoiceAndCharge(id: string) {
          steps.push(id);
          return {
            invoice: { stripeInvoiceId: id, status: 'paid' },
            charge: { mirrored: true, status: 'succeeded' },
          };
        },
      },
    });
    const tell = () =>
      env.client.workflow.signalWithStart(mirrorInvoiceWorkflow, {
        workflowId: 'invoice-mirror-in_renewal',
        taskQueue: 'mirror-renewal',
        args: ['in_renewal'],
        signal: mirrorAgain,
      });
    // invoice.created, invoice.finalized, charge.succeeded and invoice.paid, before the first read.
    const handles = [await tell(), await tell(), await tell(), await tell()];
    const result = await worker.runUntil(() => handles[0]!.result());
    expect(new Set(handles.map((h) => h.signaledRunId)).size).toBe(1);
    expect({ result, steps }).toEqual({
      result: { status: 'paid', charge: { mirrored: true, status: 'succeeded' } },
      steps: ['in_renewal'],
    });
  });

  it("gives a charge's events one run at a time too", async () => {
    const synced: string[] = [];
    const worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue: 'mirror-charge',
      workflowBundle: workflowBundle(),
      activities: {
        async syncCharge(id: string) {
          synced.push(id);
          return { mirrored: true };
        },
      },
    });
    const start = () =>
      env.client.workflow.signalWithStart(syncChargeWorkflow, {
        workflowId: 'charge-mirror-ch_1',
        taskQueue: 'mirror-charge',
        args: ['ch_1'],
        signal: mirrorAgain,
      });
    // charge.succeeded and its invoice's invoice.paid, both before the run's first read.
    const [a, b] = [await start(), await start()];
    const result = await worker.runUntil(() => a.result());
    expect(b.signaledRunId).toBe(a.signaledRunId);
    expect({ result, synced }).toEqual({ result: { mirrored: true }, synced: ['ch_1'] });
  });

  it("re-reads a customer's cards in one workflow task, the read a local activity", async () => {
    const read: { customerId: string; local: boolean }[] = [];
    const worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue: 'mirror-cards',
      workflowBundle: workflowBundle(),
      activities: {
        async syncPaymentMethods(customerId: string) {
          read.push({ customerId, local: Context.current().info.isLocal });
          return { cards: 1 };
        },
      },
    });
    const handle = await env.client.workflow.start(readCardsWorkflow, {
      workflowId: 'payment-methods-sync-evt_card',
      taskQueue: 'mirror-cards',
      args: ['cust_cards'],
    });
    const result = await worker.runUntil(() => handle.result());
    const { events } = await handle.fetchHistory();
    const tasks = (events ?? []).filter((e) => e.workflowTaskCompletedEventAttributes).length;
    const activityTasks = (events ?? []).filter((e) => e.activityTaskScheduledEventAttributes).length;
    expect({ result, read, tasks, activityTasks }).toEqual({
      result: { cards: 1 },
      read: [{ customerId: 'cust_cards', local: true }],
      tasks: 1,
      activityTasks: 0,
    });
  });
});

import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { Worker } from '@temporalio/worker';
import {
  attachPaymentMethodWorkflow,
  catalogSyncWorkflow,
  portalSessionWorkflow,
  upcomingInvoiceWorkflow,
} from '../../workflows';
import type { UpcomingInvoice } from '../../domain/upcoming-invoice';
import { catalogChanged } from '../../workflows/messages';
import { startTimeSkipping, workflowBundle } from '../helpers/temporal';

describe('catalog sync and payment-method workflows', () => {
  let env: TestWorkflowEnvironment;
  beforeAll(async () => {
    env = await startTimeSkipping();
  });
  afterAll(() => env?.teardown());

  it('syncs the catalog once more when a plan changes during a sync, and never loses the change', async () => {
    let syncs = 0;
    let release: () => void = () => {};
    const firstSyncRunning = new Promise<void>((started) => {
      release = started;
    });
    let finishFirst: () => void = () => {};
    const firstMayFinish = new Promise<void>((r) => (finishFirst = r));
    const worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue: 'catalog',
      workflowBundle: workflowBundle(),
      activities: {
        async syncStripeCatalog() {
          syncs++;
          if (syncs === 1) {
            release();
            await firstMayFinish;
          }
        },
      },
    });
    const passes = await worker.runUntil(async () => {
      const handle = await env.client.workflow.signalWithStart(catalogSyncWorkflow, {
        workflowId: 'catalog-sync',
        taskQueue: 'catalog',
        signal: catalogChanged,
      });
      await firstSyncRunning;
      await handle.signal(catalogChanged);
      finishFirst();
      return handle.result();
    });
    expect({ passes, syncs }).toEqual({ passes: 2, syncs: 2 });
  });

  it('attaches a card after making sure the Stripe customer exists, and fails at once on a decline', async () => {
    const calls: string[] = [];
    const worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue: 'cards',
      workflowBundle: workflowBundle(),
      activities: {
        async ensureStripeCustomer(customerId: string) {
          calls.push(`customer ${customerId}`);
          return 'cus_1';
        },
        async attachPaymentMethod(req: { paymentMethodId: string }) {
          calls.push(`attach ${req.paymentMethodId}`);
          if (req.paymentMethodId === 'pm_card_chargeDeclined')
            throw ApplicationFailure.nonRetryable('Your card was declined.', 'CardDeclined');
          return { id: req.paymentMethodId, brand: 'visa', last4: '4242', isDefault: true };
        },
        async createPortalSession(req: { stripeCustomerId: string; returnUrl: string }) {
          calls.push(`portal ${req.stripeCustomerId}`);
          return { url: `https://billing.example/portal/${req.stripeCustomerId}` };
        },
      },
    });
    await worker.runUntil(async () => {
      const card = await env.client.workflow.execute(attachPaymentMethodWorkflow, {
        workflowId: 'payment-method-pm_card_visa',
        taskQueue: 'cards',
        args: [{ customerId: 'cust_1', paymentMethodId: 'pm_card_visa', makeDefault: true }],
      });
      expect(card).toMatchObject({ last4: '4242', isDefault: true });
      const declined = env.client.workflow.execute(attachPaymentMethodWorkflow, {
        workflowId: 'payment-method-pm_card_chargeDeclined',
        taskQueue: 'cards',
        args: [{ customerId: 'cust_1', paymentMethodId: 'pm_card_chargeDeclined', makeDefault: true }],
      });
      await expect(declined).rejects.toBeInstanceOf(WorkflowFailedError);
      const portal = await env.client.workflow.execute(portalSessionWorkflow, {
        workflowId: 'portal-cust_1',
        taskQueue: 'cards',
        args: [{ customerId: 'cust_1', returnUrl: 'https://app.example/billing' }],
      });
      expect(portal.url).toBe('https://billing.example/portal/cus_1');
    });
    // The decline was not retried.
    expect(calls.filter((c) => c === 'attach pm_card_chargeDeclined')).toHaveLength(1);
  });

  it('previews the next invoice with one Stripe read, and fails at once when Stripe refuses it', async () => {
    const preview: UpcomingInvoice = {
      currency: 'usd',
      issuedAt: '2026-12-27T00:00:00.000Z',
      lines: [
        {
          kind: 'plan',
          description: '1 × Starter',
          quantity: 1,
          amountCents: 1900,
          discountCents: 0,
          taxCents: 0,
          periodStart: '2026-12-27T00:00:00.000Z',
          periodEnd: '2027-01-27T00:00:00.000Z',
        },
      ],
      subtotalCents: 1900,
      discountCents: 0,
      taxCents: 0,
      totalCents: 1900,
      amountDueCents: 1900,
    };
    const asked: string[] = [];
    const worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue: 'upcoming',
      workflowBundle: workflowBundle(),
      activities: {
        async previewUpcomingInvoice(stripeSubscriptionId: string) {
          asked.push(stripeSubscriptionId);
          if (stripeSubscriptionId === 'sub_gone')
            throw ApplicationFailure.nonRetryable('No such subscription', 'InvalidRequest');
          return preview;
        },
      },
    });
    await worker.runUntil(async () => {
      const answer = await env.client.workflow.execute(upcomingInvoiceWorkflow, {
        workflowId: 'upcoming-invoice-subs_1-req_1',
        taskQueue: 'upcoming',
        args: [{ stripeSubscriptionId: 'sub_1' }],
      });
      expect(answer).toEqual(preview);
      const refused = env.client.workflow.execute(upcomingInvoiceWorkflow, {
        workflowId: 'upcoming-invoice-subs_2-req_2',
        taskQueue: 'upcoming',
        args: [{ stripeSubscriptionId: 'sub_gone' }],
      });
      await expect(refused).rejects.toBeInstanceOf(WorkflowFailedError);
    });
    expect(asked).toEqual(['sub_1', 'sub_gone']);
  });
});

import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { commitmentTrueUpWorkflow, prepaidCommitFundingWorkflow } from '../../workflows';
import { startTimeSkipping, withActivities } from '../helpers/temporal';

/**
 * The engine's own invoices (a prepaid commit's, a true-up's) are charged to the card the customer has on
 * file as the charge is made: the customer moved their default from pm_old to pm_new after the run read
 * its terms.
 */
describe('the card an invoice of the engine’s own is charged with', () => {
  let env: TestWorkflowEnvironment;
  beforeAll(async () => {
    env = await startTimeSkipping();
  });
  afterAll(() => env?.teardown());

  /** The activities both runs share: the card now on file, and a payment that records the card it took. */
  function charging(charged: string[]) {
    return {
      async chargingCard() {
        return 'pm_new';
      },
      async subscriptionCard(): Promise<string | null> {
        throw new Error('the mirror has a card: Stripe is not asked for the subscription’s');
      },
      async payInvoice(req: { stripeInvoiceId: string; paymentMethodId?: string }) {
        charged.push(`${req.stripeInvoiceId}:${req.paymentMethodId ?? 'none'}`);
        return { status: 'paid' };
      },
    };
  }

  it('charges a prepaid commit to the card on file when its invoice is charged, not when its run began', async () => {
    const charged: string[] = [];
    const funded = await withActivities(
      env,
      'charging-card-commit',
      {
        ...charging(charged),
        async loadPrepaidCommit() {
          return {
            customerId: 'cust_1',
            status: 'funding',
            amountCents: 5000,
            currency: 'usd',
            periods: 3,
            unused: 'expire',
            stripeCustomerId: 'cus_1',
            stripeInvoiceId: null,
            creditTransactionId: null,
            paymentMethodId: 'pm_old',
          };
        },
        async invoicePrepaidCommit() {
          return { stripeInvoiceId: 'in_commit' };
        },
        async recordCommitInvoice() {},
        async moveCommitBalance() {
          return { transactionId: 'cbtxn_1', at: '2026-11-30T00:00:00.000Z' };
        },
        async recordCommitFunded() {},
      },
      () =>
        env.client.workflow.execute(prepaidCommitFundingWorkflow, {
          workflowId: 'prepaid-commit-funding-charging-card',
          taskQueue: 'charging-card-commit',
          args: [{ commitId: 'ppc_1' }],
        }),
    );
    expect(funded).toEqual({ status: 'active', stripeInvoiceId: 'in_commit' });
    expect(charged).toEqual(['in_commit:pm_new']);
  });

  it('charges a true-up to the card on file when its invoice is charged, not when its run began', async () => {
    const charged: string[] = [];
    const settled = await withActivities(
      env,
      'charging-card-true-up',
      {
        ...charging(charged),
        async loadTrueUpTerms() {
          return {
            settled: null,
            customerId: 'cust_2',
            minimumCents: 5000,
            currency: 'usd',
            stripeCustomerId: 'cus_2',
            stripeSubscriptionId: 'sub_2',
            paymentMethodId: 'pm_old',
          };
        },
        async billedLinesSince() {
          return [];
        },
        async invoiceTrueUp() {
          return { stripeInvoiceId: 'in_true_up' };
        },
        async recordTrueUp() {},
      },
      () =>
        env.client.workflow.execute(commitmentTrueUpWorkflow, {
          workflowId: 'commitment-true-up-charging-card',
          taskQueue: 'charging-card-true-up',
          args: [
            {
              commitmentId: 'cmt_2',
              periodStart: '2026-10-01T00:00:00.000Z',
              periodEnd: '2026-11-01T00:00:00.000Z',
            },
          ],
        }),
    );
    expect(settled).toMatchObject({ trueUpCents: 5000, stripeInvoiceId: 'in_true_up', paid: true });
    expect(charged).toEqual(['in_true_up:pm_new']);
  });
});

import {
  afterDunningReport,
  cardForNewDunning,
  keycloakAttributes,
  lagoSyncKey,
  outsideSyncKey,
} from '../../../domain/subscription';

describe('what a dunning report does to its subscription', () => {
  it.each`
    case                                          | invoices            | report                                                                           | action       | left
    ${'suspend while the invoice is in dunning'}  | ${['in_1', 'in_2']} | ${{ stripeInvoiceId: 'in_1', outcome: 'suspend' }}                               | ${'suspend'} | ${['in_1', 'in_2']}
    ${'suspend for an invoice paid meanwhile'}    | ${['in_2']}         | ${{ stripeInvoiceId: 'in_1', outcome: 'suspend' }}                               | ${'refresh'} | ${['in_2']}
    ${'recovered'}                                | ${['in_1']}         | ${{ stripeInvoiceId: 'in_1', outcome: 'recovered' }}                             | ${'refresh'} | ${[]}
    ${'stopped'}                                  | ${['in_1']}         | ${{ stripeInvoiceId: 'in_1', outcome: 'stopped' }}                               | ${'refresh'} | ${[]}
    ${'exhausted, policy cancels'}                | ${['in_1']}         | ${{ stripeInvoiceId: 'in_1', outcome: 'exhausted', finalAction: 'cancel' }}      | ${'cancel'}  | ${[]}
    ${'exhausted, policy marks unpaid'}           | ${['in_1']}         | ${{ stripeInvoiceId: 'in_1', outcome: 'exhausted', finalAction: 'mark_unpaid' }} | ${'suspend'} | ${[]}
    ${'exhausted, no policy named (the default)'} | ${['in_1']}         | ${{ stripeInvoiceId: 'in_1', outcome: 'exhausted' }}                             | ${'cancel'}  | ${[]}
  `('$case → $action', ({ invoices, report, action, left }) => {
    expect(afterDunningReport({ dunningInvoices: invoices, stripeSubscriptionId: 'sub_1' }, report)).toEqual({
      action,
      dunningInvoices: left,
    });
  });

  it('suspends instead of canceling what Stripe does not have', () => {
    const r = { stripeInvoiceId: 'in_1', outcome: 'exhausted' as const, finalAction: 'cancel' as const };
    expect(afterDunningReport({ dunningInvoices: ['in_1'], stripeSubscriptionId: null }, r).action).toBe(
      'suspend',
    );
  });
});

describe('which card a new dunning run retries with at once', () => {
  it.each`
    case                                  | lastCard                                         | failedAt | card
    ${'no card attached'}                 | ${null}                                          | ${1000}  | ${null}
    ${'attached before the failure'}      | ${{ paymentMethodId: 'pm_1', attachedAt: 999 }}  | ${1000}  | ${null}
    ${'attached in the second it failed'} | ${{ paymentMethodId: 'pm_1', attachedAt: 1000 }} | ${1000}  | ${'pm_1'}
    ${'attached after the failure'}       | ${{ paymentMethodId: 'pm_1', attachedAt: 1060 }} | ${1000}  | ${'pm_1'}
  `('$case → $card', ({ lastCard, failedAt, card }) => {
    expect(cardForNewDunning(lastCard, failedAt)).toBe(card);
  });
});

describe('what Keycloak and Lago are told', () => {
  const facts = {
    status: 'active' as const,
    tier: 'pro',
    stripeCustomerId: 'cus_1',
    stripeSubscriptionId: 'sub_1',
    currentPeriodStart: '2026-11-01T00:00:00.000Z',
    currentPeriodEnd: '2026-12-01T00:00:00.000Z',
  };

  it('names the seeds’ user attributes', () => {
    expect(keycloakAttributes(facts)).toEqual({
      subscription_tier: 'pro',
      subscription_status: 'active',
      stripe_customer_id: 'cus_1',
      stripe_subscription_id: 'sub_1',
      subscription_start_date: '2026-11-01T00:00:00.000Z',
      subscription_end_date: '2026-12-01T00:00:00.000Z',
    });
  });

  it.each`
    change                                              | synced
    ${{}}                                               | ${false}
    ${{ stripeCustomerId: 'cus_2' }}                    | ${false}
    ${{ tier: 'starter' }}                              | ${true}
    ${{ status: 'past_due' }}                           | ${true}
    ${{ currentPeriodEnd: '2027-01-01T00:00:00.000Z' }} | ${true}
  `('$change needs a sync: $synced', ({ change, synced }) => {
    expect(outsideSyncKey({ ...facts, ...change }) !== outsideSyncKey(facts)).toBe(synced);
  });

  it('syncs nothing before Stripe has the subscription', () => {
    expect(outsideSyncKey({ ...facts, status: 'incomplete' })).toBeNull();
    expect(lagoSyncKey({ ...facts, status: 'incomplete' })).toBeNull();
  });

  it.each`
    change                                              | synced
    ${{}}                                               | ${false}
    ${{ stripeCustomerId: 'cus_2' }}                    | ${false}
    ${{ currentPeriodEnd: '2027-01-01T00:00:00.000Z' }} | ${false}
    ${{ tier: 'starter' }}                              | ${true}
    ${{ status: 'past_due' }}                           | ${true}
    ${{ status: 'canceled' }}                           | ${true}
  `('$change needs a Lago sync: $synced', ({ change, synced }) => {
    expect(lagoSyncKey({ ...facts, ...change }) !== lagoSyncKey(facts)).toBe(synced);
  });
});

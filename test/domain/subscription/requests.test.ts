import {
  checkoutRefusal,
  isMigration,
  customerPauseRefusal,
  pauseRefusal,
  pendingChangeCancelRefusal,
  pendingAfterImmediateChange,
  planChangeRefusal,
  resumeRefusal,
  type SubscriptionFacts,
} from '../../../domain/subscription';

const live: SubscriptionFacts = {
  status: 'active',
  tier: 'starter',
  interval: 'month',
  priceId: 'price_starter_m_v1',
  stripeSubscriptionId: 'sub_1',
  currentPeriodEnd: '2026-12-01T00:00:00.000Z',
  trialEnd: null,
  cancelAtPeriodEnd: false,
  pendingChange: null,
  dunningInvoices: [],
  trialReminderSent: false,
};
const downgrade = {
  planCode: 'free',
  interval: 'month' as const,
  effectiveAt: '2026-12-01T00:00:00.000Z',
  requestId: 'r1',
};

describe('which requests a subscription takes', () => {
  it.each`
    status          | stripeSubscriptionId | refusal
    ${'incomplete'} | ${null}              | ${null}
    ${'incomplete'} | ${'sub_1'}           | ${'subscription is incomplete; checkout is only for a new subscription'}
    ${'active'}     | ${'sub_1'}           | ${'subscription is active; checkout is only for a new subscription'}
    ${'canceled'}   | ${null}              | ${'subscription is canceled; checkout is only for a new subscription'}
  `(
    'checkout on $status (Stripe id $stripeSubscriptionId): $refusal',
    ({ status, stripeSubscriptionId, refusal }) => {
      expect(checkoutRefusal({ status, stripeSubscriptionId })).toBe(refusal);
    },
  );

  it.each`
    case                                            | facts                                                   | req                                                                                       | refusal
    ${'an upgrade now'}                             | ${{}}                                                   | ${{ planCode: 'pro', interval: 'month', priceId: 'p_pro', when: 'now' }}                  | ${null}
    ${'a yearly switch of the same plan'}           | ${{}}                                                   | ${{ planCode: 'starter', interval: 'year', priceId: 'p_sy', when: 'now' }}                | ${null}
    ${'the same plan, cycle and price'}             | ${{}}                                                   | ${{ planCode: 'starter', interval: 'month', priceId: 'price_starter_m_v1', when: 'now' }} | ${'already on starter (month)'}
    ${'a new version of the same plan'}             | ${{}}                                                   | ${{ planCode: 'starter', interval: 'month', priceId: 'price_v2', when: 'now' }}           | ${null}
    ${'any change before Stripe has it'}            | ${{ stripeSubscriptionId: null, status: 'incomplete' }} | ${{ planCode: 'pro', interval: 'month', priceId: 'p_pro', when: 'now' }}                  | ${'subscription is incomplete'}
    ${'any change once canceled'}                   | ${{ status: 'canceled' }}                               | ${{ planCode: 'pro', interval: 'month', priceId: 'p_pro', when: 'now' }}                  | ${'subscription is canceled'}
    ${'any change once expired'}                    | ${{ status: 'expired' }}                                | ${{ planCode: 'pro', interval: 'month', priceId: 'p_pro', when: 'now' }}                  | ${'subscription is expired'}
    ${'a change at period end without a period'}    | ${{ currentPeriodEnd: null }}                           | ${{ planCode: 'free', interval: 'month', priceId: 'p_free', when: 'period_end' }}         | ${'the subscription has no period yet'}
    ${'a migration behind a pending downgrade'}     | ${{ pendingChange: downgrade }}                         | ${{ planCode: 'starter', interval: 'month', priceId: 'price_v2', when: 'period_end' }}    | ${'a change to free (month) is pending for 2026-12-01T00:00:00.000Z; it replaces this plan then, so there is nothing to migrate'}
    ${'a migration now behind a pending downgrade'} | ${{ pendingChange: downgrade }}                         | ${{ planCode: 'starter', interval: 'month', priceId: 'price_v2', when: 'now' }}           | ${null}
    ${'a change while past due'}                    | ${{ status: 'past_due' }}                               | ${{ planCode: 'pro', interval: 'month', priceId: 'p_pro', when: 'now' }}                  | ${null}
  `('plan change: $case → $refusal', ({ facts, req, refusal }) => {
    expect(planChangeRefusal({ ...live, ...facts }, req)).toBe(refusal);
  });

  it('keeps the pending change across a migration to a new version, and drops it for any other change', () => {
    const withPending = { ...live, pendingChange: downgrade };
    expect(isMigration(withPending, { planCode: 'starter', interval: 'month' })).toBe(true);
    expect(pendingAfterImmediateChange(withPending, { planCode: 'starter', interval: 'month' })).toBe(
      downgrade,
    );
    expect(pendingAfterImmediateChange(withPending, { planCode: 'pro', interval: 'month' })).toBeNull();
    expect(pendingAfterImmediateChange(withPending, { planCode: 'starter', interval: 'year' })).toBeNull();
  });

  it.each`
    status        | cancelAtPeriodEnd | refusal
    ${'active'}   | ${true}           | ${null}
    ${'active'}   | ${false}          | ${'no cancellation is pending'}
    ${'trialing'} | ${true}           | ${null}
    ${'canceled'} | ${true}           | ${'subscription is canceled'}
  `(
    'resume on $status (cancel pending $cancelAtPeriodEnd): $refusal',
    ({ status, cancelAtPeriodEnd, refusal }) => {
      expect(resumeRefusal({ status, cancelAtPeriodEnd, stripeSubscriptionId: 'sub_1' })).toBe(refusal);
    },
  );

  it.each`
    status          | paused   | refusal
    ${'active'}     | ${true}  | ${null}
    ${'active'}     | ${false} | ${'not paused'}
    ${'paused'}     | ${false} | ${null}
    ${'paused'}     | ${true}  | ${'already paused'}
    ${'incomplete'} | ${true}  | ${'subscription is incomplete'}
    ${'expired'}    | ${false} | ${'subscription is expired'}
  `('pause=$paused on $status: $refusal', ({ status, paused, refusal }) => {
    expect(pauseRefusal({ status, stripeSubscriptionId: 'sub_1' }, paused)).toBe(refusal);
  });

  it.each`
    status        | scheduled | refusal
    ${'active'}   | ${true}   | ${null}
    ${'trialing'} | ${true}   | ${null}
    ${'past_due'} | ${true}   | ${null}
    ${'active'}   | ${false}  | ${'no plan change is scheduled'}
    ${'canceled'} | ${true}   | ${'subscription is canceled'}
  `(
    'withdrawing the scheduled change on $status (one scheduled: $scheduled): $refusal',
    ({ status, scheduled, refusal }) => {
      const pendingChange = scheduled ? downgrade : null;
      expect(pendingChangeCancelRefusal({ status, stripeSubscriptionId: 'sub_1', pendingChange })).toBe(
        refusal,
      );
    },
  );

  it.each`
    pausable | paused   | refusal
    ${true}  | ${true}  | ${null}
    ${true}  | ${false} | ${null}
    ${false} | ${true}  | ${'the starter plan cannot be paused; cancel it instead'}
    ${false} | ${false} | ${null}
  `(
    'a subscriber pausing=$paused a plan with pausable=$pausable: $refusal',
    ({ pausable, paused, refusal }) => {
      expect(customerPauseRefusal({ code: 'starter', pausable }, paused)).toBe(refusal);
    },
  );
});

import {
  countsTowardMrr,
  grantsAccess,
  isFinal,
  SUBSCRIPTION_STATUSES,
  type SubscriptionStatus,
} from '../../domain/subscription-status';

describe('what each subscription state means', () => {
  it.each`
    status          | access   | final    | paying
    ${'incomplete'} | ${false} | ${false} | ${false}
    ${'trialing'}   | ${true}  | ${false} | ${false}
    ${'active'}     | ${true}  | ${false} | ${true}
    ${'past_due'}   | ${true}  | ${false} | ${true}
    ${'suspended'}  | ${false} | ${false} | ${false}
    ${'paused'}     | ${false} | ${false} | ${false}
    ${'canceled'}   | ${false} | ${true}  | ${false}
    ${'expired'}    | ${false} | ${true}  | ${false}
  `(
    '$status: grants access $access, final $final, counts toward MRR $paying',
    ({ status, access, final, paying }) => {
      expect(grantsAccess(status)).toBe(access);
      expect(isFinal(status)).toBe(final);
      expect(countsTowardMrr(status)).toBe(paying);
    },
  );

  it('names every state the engine has in the table above', () => {
    const tabled: SubscriptionStatus[] = [
      'incomplete',
      'trialing',
      'active',
      'past_due',
      'suspended',
      'paused',
      'canceled',
      'expired',
    ];
    expect([...SUBSCRIPTION_STATUSES].sort()).toEqual([...tabled].sort());
  });

  it('grants access in every paying state and in no final one', () => {
    for (const status of SUBSCRIPTION_STATUSES) {
      if (countsTowardMrr(status)) expect(grantsAccess(status)).toBe(true);
      if (isFinal(status)) expect(grantsAccess(status)).toBe(false);
    }
  });
});

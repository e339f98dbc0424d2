import { statusAfterInvoicePaid, statusAfterSnapshot } from '../../../domain/subscription';
import type { SubscriptionStatus } from '../../../domain/subscription-status';

describe("our status once Stripe's subscription is applied", () => {
  it.each`
    current         | dunning | stripe                  | paused   | next
    ${'incomplete'} | ${0}    | ${'incomplete'}         | ${false} | ${'incomplete'}
    ${'incomplete'} | ${0}    | ${'trialing'}           | ${false} | ${'trialing'}
    ${'incomplete'} | ${0}    | ${'active'}             | ${false} | ${'active'}
    ${'incomplete'} | ${0}    | ${'incomplete_expired'} | ${false} | ${'expired'}
    ${'trialing'}   | ${0}    | ${'active'}             | ${false} | ${'active'}
    ${'trialing'}   | ${0}    | ${'past_due'}           | ${false} | ${'past_due'}
    ${'trialing'}   | ${0}    | ${'canceled'}           | ${false} | ${'canceled'}
    ${'trialing'}   | ${0}    | ${'trialing'}           | ${true}  | ${'paused'}
    ${'active'}     | ${0}    | ${'past_due'}           | ${false} | ${'past_due'}
    ${'active'}     | ${0}    | ${'unpaid'}             | ${false} | ${'suspended'}
    ${'active'}     | ${0}    | ${'paused'}             | ${false} | ${'paused'}
    ${'active'}     | ${0}    | ${'active'}             | ${true}  | ${'paused'}
    ${'active'}     | ${0}    | ${'canceled'}           | ${false} | ${'canceled'}
    ${'active'}     | ${0}    | ${'something_new'}      | ${false} | ${'incomplete'}
    ${'paused'}     | ${0}    | ${'active'}             | ${false} | ${'active'}
    ${'past_due'}   | ${1}    | ${'active'}             | ${false} | ${'active'}
    ${'past_due'}   | ${1}    | ${'past_due'}           | ${true}  | ${'past_due'}
    ${'suspended'}  | ${1}    | ${'active'}             | ${false} | ${'suspended'}
    ${'suspended'}  | ${1}    | ${'past_due'}           | ${false} | ${'suspended'}
    ${'suspended'}  | ${1}    | ${'active'}             | ${true}  | ${'suspended'}
    ${'suspended'}  | ${1}    | ${'canceled'}           | ${false} | ${'canceled'}
    ${'suspended'}  | ${0}    | ${'past_due'}           | ${false} | ${'suspended'}
    ${'suspended'}  | ${0}    | ${'active'}             | ${false} | ${'active'}
    ${'expired'}    | ${0}    | ${'canceled'}           | ${false} | ${'expired'}
  `(
    '$current with $dunning invoice(s) in dunning, Stripe $stripe (paused collection $paused) → $next',
    ({ current, dunning, stripe, paused, next }) => {
      const facts = { status: current as SubscriptionStatus, dunningInvoices: Array(dunning).fill('in_1') };
      expect(statusAfterSnapshot(facts, { status: stripe, pausedCollection: paused })).toBe(next);
    },
  );

  it.each`
    current        | next
    ${'suspended'} | ${'past_due'}
    ${'past_due'}  | ${'past_due'}
    ${'active'}    | ${'active'}
  `('a paid invoice in dunning takes $current to $next', ({ current, next }) => {
    expect(statusAfterInvoicePaid(current)).toBe(next);
  });
});

import {
  isValidContinuation,
  signupFeeCents,
  trialDecisionAt,
  trialEndAction,
  TRIAL_DECISION_BEFORE_END_MS,
} from '../../domain/trial';

describe('what happens at the end of a trial', () => {
  it.each`
    tier         | hasContinuation | cancelAtPeriodEnd | action
    ${'trial'}   | ${false}        | ${false}          | ${'expire'}
    ${'trial'}   | ${true}         | ${false}          | ${'convert'}
    ${'trial'}   | ${true}         | ${true}           | ${'expire'}
    ${'trial'}   | ${false}        | ${true}           | ${'expire'}
    ${'starter'} | ${false}        | ${false}          | ${'stripe_converts'}
    ${'starter'} | ${true}         | ${false}          | ${'stripe_converts'}
  `(
    '$tier, continuation $hasContinuation, canceling $cancelAtPeriodEnd → $action',
    ({ tier, hasContinuation, cancelAtPeriodEnd, action }) => {
      expect(trialEndAction({ tier, hasContinuation, cancelAtPeriodEnd })).toBe(action);
    },
  );

  it('decides a trial-tier trial before Stripe would convert it, a paid plan trial at its end', () => {
    expect(trialDecisionAt('trial', 1_000_000_000)).toBe(1_000_000_000 - TRIAL_DECISION_BEFORE_END_MS);
    expect(trialDecisionAt('starter', 1_000_000_000)).toBe(1_000_000_000);
  });

  it.each`
    planCode     | amountCents | valid
    ${'starter'} | ${1900}     | ${true}
    ${'trial'}   | ${100}      | ${false}
    ${'free'}    | ${0}        | ${false}
  `('$planCode at $amountCents cents as a continuation: $valid', ({ planCode, amountCents, valid }) => {
    expect(isValidContinuation(planCode, amountCents)).toBe(valid);
  });

  it.each`
    code         | amountCents | fee
    ${'trial'}   | ${100}      | ${100}
    ${'starter'} | ${1900}     | ${0}
    ${'trial'}   | ${0}        | ${0}
  `('$code at $amountCents cents costs $fee cents at signup', ({ code, amountCents, fee }) => {
    expect(signupFeeCents({ code, amountCents })).toBe(fee);
  });
});

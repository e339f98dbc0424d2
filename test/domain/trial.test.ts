import {
  cardForCardlessTrial,
  isValidContinuation,
  missingCardBehavior,
  trialWithoutCardRefusal,
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

describe('trials without a card', () => {
  it.each`
    without           | behavior
    ${'free'}         | ${'cancel'}
    ${'ask_for_card'} | ${'pause'}
    ${null}           | ${'cancel'}
  `('a trial ending without a card ($without) has Stripe $behavior it', ({ without, behavior }) => {
    expect(missingCardBehavior(without)).toBe(behavior);
  });

  it.each`
    code         | trialDays | without           | refused
    ${'starter'} | ${14}     | ${'free'}         | ${false}
    ${'starter'} | ${14}     | ${'ask_for_card'} | ${false}
    ${'starter'} | ${0}      | ${null}           | ${false}
    ${'trial'}   | ${7}      | ${null}           | ${false}
    ${'starter'} | ${0}      | ${'free'}         | ${true}
    ${'starter'} | ${0}      | ${'ask_for_card'} | ${true}
    ${'trial'}   | ${7}      | ${'free'}         | ${true}
  `('$code with $trialDays trial days, without a card $without: refused $refused', (row) => {
    const refusal = trialWithoutCardRefusal({
      code: row.code,
      trialDays: row.trialDays,
      trialWithoutCard: row.without,
    });
    expect(refusal === null).toBe(!row.refused);
    if (refusal) expect(refusal.field).toBe('trial_without_card');
  });

  it.each`
    without           | status        | awaitingCard | step
    ${'free'}         | ${'trialing'} | ${false}     | ${'keep'}
    ${'ask_for_card'} | ${'trialing'} | ${false}     | ${'keep'}
    ${'ask_for_card'} | ${'paused'}   | ${true}      | ${'keep_and_resume'}
    ${'ask_for_card'} | ${'paused'}   | ${false}     | ${'none'}
    ${'ask_for_card'} | ${'active'}   | ${false}     | ${'none'}
    ${'free'}         | ${'expired'}  | ${false}     | ${'none'}
    ${undefined}      | ${'trialing'} | ${false}     | ${'none'}
    ${null}           | ${'paused'}   | ${true}      | ${'none'}
  `(
    'a card added to a $status subscription (without a card: $without, awaiting one: $awaitingCard) → $step',
    ({ without, status, awaitingCard, step }) => {
      expect(cardForCardlessTrial({ trialWithoutCard: without, status, awaitingCard })).toBe(step);
    },
  );
});

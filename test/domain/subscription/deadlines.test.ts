import { deadlineKey, nextDeadline, type SubscriptionFacts } from '../../../domain/subscription';
import { TRIAL_DECISION_BEFORE_END_MS, TRIAL_REMINDER_BEFORE_END_MS } from '../../../domain/trial';

const HOUR = 60 * 60 * 1000;
const trialEnd = '2026-12-08T00:00:00.000Z';
const end = Date.parse(trialEnd);
const periodEnd = '2027-01-01T00:00:00.000Z';
const pick = { planCode: 'pro', interval: 'month' as const, effectiveAt: trialEnd, requestId: 'pick' };
const downgrade = { planCode: 'free', interval: 'month' as const, effectiveAt: periodEnd, requestId: 'down' };

const base: SubscriptionFacts = {
  status: 'active',
  tier: 'starter',
  interval: 'month',
  stripeSubscriptionId: 'sub_1',
  currentPeriodEnd: periodEnd,
  trialEnd: null,
  cancelAtPeriodEnd: false,
  pendingChange: null,
  dunningInvoices: [],
  trialReminderSent: false,
};

describe('the next deadline of a subscription', () => {
  it.each`
    case                                                | facts                                                                                                                                  | recheck           | kind                  | at                                        | action
    ${'an active plan with nothing pending'}            | ${{}}                                                                                                                                  | ${0}              | ${null}               | ${null}                                   | ${undefined}
    ${'a scheduled downgrade'}                          | ${{ pendingChange: downgrade }}                                                                                                        | ${0}              | ${'scheduled_change'} | ${Date.parse(periodEnd)}                  | ${undefined}
    ${'a scheduled downgrade while canceling'}          | ${{ pendingChange: downgrade, cancelAtPeriodEnd: true }}                                                                               | ${0}              | ${null}               | ${null}                                   | ${undefined}
    ${'a scheduled downgrade once canceled'}            | ${{ pendingChange: downgrade, status: 'canceled' }}                                                                                    | ${0}              | ${null}               | ${null}                                   | ${undefined}
    ${'a scheduled downgrade while past due'}           | ${{ pendingChange: downgrade, status: 'past_due' }}                                                                                    | ${0}              | ${'scheduled_change'} | ${Date.parse(periodEnd)}                  | ${undefined}
    ${'a paid trial, reminder not sent'}                | ${{ status: 'trialing', trialEnd }}                                                                                                    | ${0}              | ${'trial_reminder'}   | ${end - TRIAL_REMINDER_BEFORE_END_MS}     | ${undefined}
    ${'a paid trial, reminder sent'}                    | ${{ status: 'trialing', trialEnd, trialReminderSent: true }}                                                                           | ${0}              | ${'trial_end'}        | ${end + HOUR}                             | ${'stripe_converts'}
    ${'a paid trial Stripe has not converted yet'}      | ${{ status: 'trialing', trialEnd, trialReminderSent: true }}                                                                           | ${end + 5 * HOUR} | ${'trial_end'}        | ${end + 5 * HOUR}                         | ${'stripe_converts'}
    ${'a trial-tier trial without a pick'}              | ${{ status: 'trialing', tier: 'trial', trialEnd, trialReminderSent: true }}                                                            | ${0}              | ${'trial_end'}        | ${end - TRIAL_DECISION_BEFORE_END_MS}     | ${'expire'}
    ${'a trial-tier trial with a pick'}                 | ${{ status: 'trialing', tier: 'trial', trialEnd, trialReminderSent: true, pendingChange: pick }}                                       | ${0}              | ${'trial_end'}        | ${end - TRIAL_DECISION_BEFORE_END_MS}     | ${'convert'}
    ${'a trial-tier trial with a pick, canceling'}      | ${{ status: 'trialing', tier: 'trial', trialEnd, trialReminderSent: true, pendingChange: pick, cancelAtPeriodEnd: true }}              | ${0}              | ${'trial_end'}        | ${end - TRIAL_DECISION_BEFORE_END_MS}     | ${'expire'}
    ${'a trial-tier trial with a pick, reminder first'} | ${{ status: 'trialing', tier: 'trial', trialEnd, pendingChange: pick }}                                                                | ${0}              | ${'trial_reminder'}   | ${end - TRIAL_REMINDER_BEFORE_END_MS}     | ${undefined}
    ${'a paid trial with a downgrade before its end'}   | ${{ status: 'trialing', trialEnd, trialReminderSent: true, pendingChange: { ...downgrade, effectiveAt: '2026-12-02T00:00:00.000Z' } }} | ${0}              | ${'scheduled_change'} | ${Date.parse('2026-12-02T00:00:00.000Z')} | ${undefined}
  `('$case → $kind', ({ facts, recheck, kind, at, action }) => {
    const due = nextDeadline({ ...base, ...facts }, recheck);
    if (kind === null) {
      expect(due).toBeNull();
      return;
    }
    expect(due).toMatchObject({ kind, at });
    if (action) expect(due).toMatchObject({ action });
  });

  it('hands back the very pending change it armed, so a replaced one is recognised', () => {
    const due = nextDeadline({ ...base, pendingChange: downgrade });
    expect(due?.kind === 'scheduled_change' && due.change).toBe(downgrade);
  });

  it('re-arms when what the deadlines depend on changes, not otherwise', () => {
    const key = deadlineKey({ ...base, pendingChange: downgrade });
    expect(deadlineKey({ ...base, pendingChange: downgrade, tier: 'pro' } as SubscriptionFacts)).toBe(key);
    expect(deadlineKey({ ...base, pendingChange: downgrade, cancelAtPeriodEnd: true })).not.toBe(key);
    expect(deadlineKey({ ...base, pendingChange: { ...downgrade, requestId: 'other' } })).not.toBe(key);
    expect(deadlineKey({ ...base, pendingChange: downgrade, status: 'past_due' })).not.toBe(key);
    // Without a pending change a cancellation moves no deadline.
    expect(deadlineKey({ ...base, cancelAtPeriodEnd: true })).toBe(deadlineKey(base));
    expect(deadlineKey({ ...base, trialEnd, status: 'trialing', trialReminderSent: true })).not.toBe(
      deadlineKey({ ...base, trialEnd, status: 'trialing' }),
    );
  });
});

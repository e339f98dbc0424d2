import { subscriptionEvents } from '../../domain/subscription-events';
import type { SubscriptionStatus } from '../../domain/subscription-status';

const s = (status: SubscriptionStatus, tier = 'starter') => ({ status, tier });

describe('which outgoing events a change of a subscription makes', () => {
  it.each([
    ['a checkout completing into a trial', s('incomplete'), s('trialing'), 'subscription.created', true],
    ['a checkout completing into a paid plan', s('incomplete'), s('active'), 'subscription.created', true],
    ['a checkout that never completed expiring', s('incomplete'), s('expired'), null, false],
    [
      'an incomplete one changing price while incomplete',
      s('incomplete'),
      s('incomplete', 'pro'),
      null,
      false,
    ],
    ['a trial converting', s('trialing'), s('active'), 'subscription.updated', false],
    ['an upgrade', s('active'), s('active', 'professional'), 'subscription.updated', true],
    ['a failed payment (access kept)', s('active'), s('past_due'), 'subscription.updated', false],
    ['dunning suspending it', s('past_due'), s('suspended'), 'subscription.updated', true],
    ['a paid invoice lifting a suspension', s('suspended'), s('active'), 'subscription.updated', true],
    ['a pause', s('active'), s('paused'), 'subscription.updated', true],
    [
      'a plan change while suspended (no access either way)',
      s('suspended'),
      s('suspended', 'pro'),
      'subscription.updated',
      false,
    ],
    ['a cancellation', s('active'), s('canceled'), 'subscription.canceled', true],
    ['a suspended one ending', s('suspended'), s('expired'), 'subscription.canceled', false],
    ['a canceled one re-read (still canceled)', s('canceled'), s('canceled'), 'subscription.updated', false],
  ] as const)('%s', (_name, before, after, event, access) => {
    expect(subscriptionEvents(before, after)).toEqual({ subscription: event, accessChanged: access });
  });
});

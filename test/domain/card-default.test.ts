import { chargedCardToMarkDefault, statusChangeMarksCard, type LiveCard } from '../../domain/card-default';
import type { SubscriptionStatus } from '../../domain/subscription-status';

const card = (id: string, isDefault = false): LiveCard => ({ stripePaymentMethodId: id, isDefault });

describe('the card a subscription coming to life marks default', () => {
  it.each<[string, LiveCard[], string, string | null]>([
    ['its card, when the customer has no default', [card('pm_a')], 'pm_a', 'pm_a'],
    ['its card among others, none default', [card('pm_a'), card('pm_b')], 'pm_b', 'pm_b'],
    ['nothing, when another card is default', [card('pm_a', true), card('pm_b')], 'pm_b', null],
    ['nothing more, when its card already is default', [card('pm_a', true)], 'pm_a', null],
    ['nothing, when its card is not on file (detached, or not mirrored yet)', [card('pm_a')], 'pm_z', null],
    ['nothing, for a customer with no card on file', [], 'pm_a', null],
  ])('%s', (_name, cards, charged, expected) => {
    expect(chargedCardToMarkDefault(cards, charged)).toBe(expected);
  });
});

describe('the changes of status that mark the charged card', () => {
  it.each<[SubscriptionStatus, SubscriptionStatus, boolean]>([
    ['incomplete', 'active', true],
    ['incomplete', 'trialing', true],
    ['trialing', 'active', true],
    ['active', 'past_due', true],
    ['past_due', 'active', true],
    ['active', 'active', false],
    ['incomplete', 'incomplete', false],
    ['active', 'canceled', false],
    ['incomplete', 'expired', false],
  ])('%s to %s: %s', (before, after, marks) => {
    expect(statusChangeMarksCard(before, after)).toBe(marks);
  });
});

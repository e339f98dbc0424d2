import {
  autoTopUpChanged,
  chargeableOffSession,
  otherTopUpInFlight,
  TOP_UP_IN_FLIGHT_MS,
  topUpPaid,
  topUpRefusal,
} from '../../domain/top-up-policy';

describe('what an automatic top-up may charge and when it has earned its credits', () => {
  it.each([
    ['card', true],
    ['sepa_debit', false],
    ['us_bank_account', false],
    ['bacs_debit', false],
    ['link', false],
    ['', false],
  ])('a saved %s is charged off-session: %s', (type, ok) => {
    expect(chargeableOffSession(type)).toBe(ok);
  });

  it.each([
    ['succeeded', true],
    ['processing', false],
    ['requires_action', false],
    ['requires_payment_method', false],
    ['requires_capture', false],
    ['canceled', false],
  ])('a payment intent %s grants the credits: %s', (status, ok) => {
    expect(topUpPaid(status)).toBe(ok);
  });
});

describe('one top-up in flight per customer', () => {
  const now = new Date('2026-11-25T12:00:00Z');
  const ago = (ms: number) => new Date(now.getTime() - ms);
  it.each([
    ['no other try', [], false],
    ['another crossing at Stripe now', [{ crossingKey: 'b', status: 'pending', updatedAt: ago(1000) }], true],
    ['this crossing itself', [{ crossingKey: 'a', status: 'pending', updatedAt: ago(1000) }], false],
    [
      'another crossing already charged',
      [{ crossingKey: 'b', status: 'succeeded', updatedAt: ago(1) }],
      false,
    ],
    ['another crossing declined', [{ crossingKey: 'b', status: 'declined', updatedAt: ago(1) }], false],
    [
      'another crossing cut off an hour ago',
      [{ crossingKey: 'b', status: 'pending', updatedAt: ago(TOP_UP_IN_FLIGHT_MS) }],
      false,
    ],
    [
      'another crossing just inside the hour',
      [{ crossingKey: 'b', status: 'pending', updatedAt: ago(TOP_UP_IN_FLIGHT_MS - 1) }],
      true,
    ],
  ])('%s: %s', (_name, tries, inFlight) => {
    expect(otherTopUpInFlight(tries, 'a', now)).toBe(inFlight);
  });
});

describe('which saves are a new auto top-up decision', () => {
  const on = { enabled: true, threshold: 500, packId: 'pack_1' };
  it.each([
    ['the same settings again', on, false],
    ['turned off', { ...on, enabled: false }, true],
    ['another threshold', { ...on, threshold: 501 }, true],
    ['another pack', { ...on, packId: 'pack_2' }, true],
    ['no pack', { ...on, packId: null }, true],
  ])('%s: %s', (_name, after, changed) => {
    expect(autoTopUpChanged(on, after)).toBe(changed);
  });
  it('turning it back on after the engine turned it off is a new decision', () => {
    expect(autoTopUpChanged({ ...on, enabled: false }, on)).toBe(true);
  });

  const onSale = { active: true, planCodes: [] as string[] };
  it.each([
    ['a pack taken off sale', { pack: { ...onSale, active: false } }, 'the chosen pack is no longer on sale'],
    ['a pack deleted', { pack: null }, 'the chosen pack is no longer on sale'],
    [
      'a pack for another plan',
      { pack: { active: true, planCodes: ['pro'] }, planCode: 'starter' },
      'the chosen pack is not sold on your current plan',
    ],
    [
      'a plan-restricted pack and no live plan',
      { pack: { active: true, planCodes: ['pro'] }, planCode: null },
      'the chosen pack is not sold on your current plan',
    ],
    [
      'no price in the currency paid in',
      { priceCents: null, currency: 'eur' },
      'the chosen pack is not sold in EUR',
    ],
    ['no card on file', { hasCard: false }, 'no card on file'],
    // Mended in the order a customer would: a pack off sale is said first even when no card is on file.
    ['off sale and no card', { pack: null, hasCard: false }, 'the chosen pack is no longer on sale'],
    ['no price and no card', { priceCents: null, hasCard: false }, 'the chosen pack is not sold in USD'],
    [
      'a pack for its plan, priced, a card',
      { pack: { active: true, planCodes: ['pro'] }, planCode: 'pro' },
      null,
    ],
    ['a pack for every plan, priced, a card', {}, null],
  ])('a due top-up with %s is refused: %s', (_what, change, reason) => {
    const due = { pack: onSale, planCode: 'starter', priceCents: 1000, currency: 'usd', hasCard: true };
    expect(topUpRefusal({ ...due, ...change })).toBe(reason);
  });
});

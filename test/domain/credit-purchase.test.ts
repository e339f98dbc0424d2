import {
  afterDecline,
  autoTopUpRefusal,
  purchaseRefusal,
  purchasedExpiry,
  lostToDispute,
  refundVoid,
  settingsChangedAtOfCrossing,
  takenBackCredits,
  topUpCrossingKey,
  topUpDue,
} from '../../domain/credit-purchase';

const onSale = { active: true, planCodes: [] as string[] };
const proOnly = { active: true, planCodes: ['professional'] };

describe('which pack a customer may buy', () => {
  it.each([
    ['a pack on sale to every plan', onSale, 'starter', null],
    ['a pack for their plan', proOnly, 'professional', null],
    ['no such pack', null, 'starter', 'credit_pack_not_found'],
    ['a pack taken off sale', { ...onSale, active: false }, 'starter', 'credit_pack_not_found'],
    ['a pack for another plan', proOnly, 'starter', 'credit_pack_not_for_plan'],
    ['a plan-bound pack without a plan', proOnly, null, 'credit_pack_not_for_plan'],
  ])('%s', (_, pack, plan, code) => {
    expect(purchaseRefusal(pack, plan)?.code ?? null).toBe(code);
  });
});

describe('what a purchase grants and a refund or a lost dispute takes back', () => {
  it('lapses the pack’s days after the payment, or never', () => {
    const paid = new Date('2026-11-24T10:00:00Z');
    expect(purchasedExpiry(paid, 30)).toEqual(new Date('2026-12-24T10:00:00Z'));
    expect(purchasedExpiry(paid, null)).toBeNull();
  });

  it.each([
    // grant, charge, refunded, lost to a dispute → credits taken back
    [1000, 1900, 0, 0, 0],
    [1000, 1900, 900, 0, 474], // 473.68…, rounded up: no credit the customer did not pay for
    [1000, 1900, 1900, 0, 1000],
    [1000, 1900, 5000, 0, 1000],
    [3, 100, 1, 0, 1],
    [1000, 0, 100, 0, 0],
    [1000, 1900, 0, 950, 500], // a dispute lost takes back its share, as a refund would
    [1000, 1900, 0, 1900, 1000],
    [1000, 1900, 900, 500, 737], // refunds and the dispute together: 1,400 of 1,900 cents
    [1000, 1900, 900, 1000, 1000],
    [1000, 1900, 1900, 1900, 1000], // together never more than the grant
    [1000, 1900, -100, 950, 500], // a negative amount counts as none
    [1000, 0, 0, 100, 0],
  ])(
    'a %i-credit grant bought for %i cents, %i refunded and %i lost to a dispute, takes back %i',
    (grant, charge, refunded, lost, back) => {
      expect(takenBackCredits(grant, charge, refunded, lost)).toBe(back);
    },
  );

  it.each([
    // the charge's dispute → cents it took back
    [null, 0],
    [{ status: 'warning_needs_response', amount: 1900 }, 0], // an inquiry takes nothing
    [{ status: 'warning_closed', amount: 1900 }, 0],
    [{ status: 'needs_response', amount: 1900 }, 0], // open: held, not taken
    [{ status: 'under_review', amount: 1900 }, 0],
    [{ status: 'won', amount: 1900 }, 0],
    [{ status: 'lost', amount: 950 }, 950],
  ])('a dispute %j takes back %i cents', (dispute, cents) => {
    expect(lostToDispute(dispute)).toBe(cents);
  });

  it.each([
    // taken back in all, voided before for refunds, left on the grant → void now
    [474, 0, 1000, 474],
    [1000, 474, 526, 526],
    [1000, 474, 100, 100], // credits already used stay used
    [474, 474, 526, 0], // a second mirror of the same refund voids nothing
    [474, 600, 400, 0],
  ])('takes back %i with %i voided and %i left: voids %i', (takeBack, voided, remaining, now) => {
    expect(refundVoid(takeBack, voided, remaining)).toBe(now);
  });
});

describe('automatic top-up', () => {
  const auto = { enabled: true, threshold: 500, packId: 'pack_1' };

  it.each([
    ['below the threshold', auto, 499, true],
    ['at the threshold', auto, 500, false],
    ['turned off', { ...auto, enabled: false }, 0, false],
    ['without a threshold', { ...auto, threshold: null }, 0, false],
    ['without a pack', { ...auto, packId: null }, 0, false],
  ])('is due %s: %s', (_, settings, balance, due) => {
    expect(topUpDue(settings, balance)).toBe(due);
  });

  it('names a crossing by the newest grant and the settings’ last change, the same in every process', () => {
    const at = new Date('2026-11-24T10:00:00.123Z');
    expect(topUpCrossingKey('cust_1', 'cgr_2', at)).toBe(topUpCrossingKey('cust_1', 'cgr_2', new Date(at)));
    expect(topUpCrossingKey('cust_1', 'cgr_2', at)).not.toBe(topUpCrossingKey('cust_1', 'cgr_3', at));
    expect(topUpCrossingKey('cust_1', null, at)).not.toBe(
      topUpCrossingKey('cust_1', null, new Date(at.getTime() + 1)),
    );
  });

  it('reads back from a crossing’s name when the settings it was named after last changed', () => {
    const at = new Date('2026-11-24T10:00:00.123Z');
    expect(settingsChangedAtOfCrossing(topUpCrossingKey('cust_1', 'cgr_2', at))).toBe(at.getTime());
    expect(settingsChangedAtOfCrossing(topUpCrossingKey('cust_1', null, new Date(0)))).toBe(0);
  });

  it.each([
    ['crossing-1'],
    [''],
    ['cust_1:cgr_2:'],
    ['cust_1:cgr_2:12a'],
    ['cust_1:cgr_2:-5'],
    ['cust_1:x:1e3'],
  ])('finds no settings’ time in a crossing named otherwise (%j)', (key) => {
    expect(settingsChangedAtOfCrossing(key)).toBeNull();
  });

  it('retries one decline and turns itself off at the second', () => {
    expect([1, 2, 3].map(afterDecline)).toEqual(['retry', 'disable', 'disable']);
  });

  it.each([
    [
      'turning it off, whatever else is set',
      { enabled: false, threshold: null, packId: null },
      null,
      false,
      null,
    ],
    ['a complete setting', auto, onSale, true, null],
    ['no threshold', { ...auto, threshold: null }, onSale, true, 'threshold'],
    ['a zero threshold', { ...auto, threshold: 0 }, onSale, true, 'threshold'],
    ['no pack', { ...auto, packId: null }, onSale, true, 'packId'],
    ['a pack off sale', auto, { ...onSale, active: false }, true, 'packId'],
    ['no card to charge', auto, onSale, false, 'enabled'],
  ])('refuses %s accordingly', (_, want, pack, hasCard, field) => {
    expect(autoTopUpRefusal(want, pack, 'starter', hasCard)?.field ?? null).toBe(field);
  });
});

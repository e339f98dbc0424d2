import fc from 'fast-check';
import {
  couponRefusal,
  couponTerms,
  lineDiscounts,
  discountAppliesAt,
  discountCents,
  discountEnd,
  normalizeCode,
  planChangeCouponRefusal,
  promotionRefusal,
  type Coupon,
  type PromotionCode,
  type RedemptionContext,
} from '../../domain/coupons';

const coupon = (over: Partial<Coupon> = {}): Coupon => ({
  id: 'launch20',
  name: 'Launch',
  percentOffBp: 2000,
  amountOff: null,
  duration: 'repeating',
  durationInMonths: 3,
  plans: null,
  maxRedemptions: null,
  redeemBy: null,
  active: true,
  ...over,
});
const promo = (over: Partial<PromotionCode> = {}): PromotionCode => ({
  id: 'promo_1',
  code: 'LAUNCH20',
  couponId: 'launch20',
  firstTimeOnly: false,
  minimumAmountCents: null,
  minimumCurrency: null,
  expiresAt: null,
  maxRedemptions: null,
  active: true,
  ...over,
});
const now = new Date('2026-11-25T12:00:00Z');
const ctx = (over: Partial<RedemptionContext> = {}): RedemptionContext => ({
  now,
  planCode: 'professional',
  currency: 'usd',
  amountCents: 5900,
  hasPaidBefore: false,
  codeRedemptions: 0,
  couponRedemptions: 0,
  ...over,
});

describe('what a coupon takes off (cents by hand)', () => {
  test.each<[string, Partial<Coupon>, number, string, number]>([
    ['20 % of $59.00', {}, 5900, 'usd', 1180],
    ['12.5 % of $0.99 rounds half away from zero: 12.375 → 12', { percentOffBp: 1250 }, 99, 'usd', 12],
    ['12.5 % of $1.00 is 12.5 → 13', { percentOffBp: 1250 }, 100, 'usd', 13],
    ['100 % is the whole amount', { percentOffBp: 10_000 }, 5900, 'usd', 5900],
    ['€10 off a €49 invoice', { percentOffBp: null, amountOff: { eur: 1000 } }, 4900, 'eur', 1000],
    [
      '€10 off never more than a €4 invoice',
      { percentOffBp: null, amountOff: { eur: 1000 } },
      400,
      'eur',
      400,
    ],
    [
      'an amount coupon without the currency takes nothing',
      { percentOffBp: null, amountOff: { eur: 1000 } },
      4900,
      'usd',
      0,
    ],
    ['a credit (negative amount) is never discounted', {}, -500, 'usd', 0],
  ])('%s', (_name, over, amount, currency, off) => {
    expect(discountCents(coupon(over), amount, currency)).toBe(off);
  });
});

describe('how long a discount lasts', () => {
  test('repeating for 3 months from Nov 30 ends Feb 28 (the month has no 30th)', () => {
    expect(discountEnd(coupon(), new Date('2026-11-30T08:00:00Z'))?.toISOString()).toBe(
      '2027-02-28T08:00:00.000Z',
    );
  });
  test('once and forever have no end date', () => {
    expect(discountEnd(coupon({ duration: 'once' }), now)).toBeNull();
    expect(discountEnd(coupon({ duration: 'forever' }), now)).toBeNull();
  });
  test('a discount applies to invoices made before its end only', () => {
    const end = new Date('2027-02-25T12:00:00Z');
    expect(discountAppliesAt({ end }, new Date('2027-01-25T12:00:00Z'))).toBe(true);
    expect(discountAppliesAt({ end }, end)).toBe(false);
    expect(discountAppliesAt({ end: null }, new Date('2030-01-01T00:00:00Z'))).toBe(true);
  });
});

describe('which codes are refused, and why (stable codes)', () => {
  test.each<[string, Partial<PromotionCode>, Partial<Coupon>, Partial<RedemptionContext>, string | null]>([
    ['a valid code', {}, {}, {}, null],
    ['a code turned off', { active: false }, {}, {}, 'promotion_code_inactive'],
    ['a code past its expiry', { expiresAt: now }, {}, {}, 'promotion_code_expired'],
    [
      'a code used as often as it may be',
      { maxRedemptions: 5 },
      {},
      { codeRedemptions: 5 },
      'promotion_code_used_up',
    ],
    [
      'a first-time code for a customer who has paid',
      { firstTimeOnly: true },
      {},
      { hasPaidBefore: true },
      'promotion_code_first_time_only',
    ],
    [
      'a first invoice under the minimum',
      { minimumAmountCents: 10_000, minimumCurrency: 'usd' },
      {},
      {},
      'promotion_code_minimum_not_met',
    ],
    [
      'a minimum in another currency',
      { minimumAmountCents: 100, minimumCurrency: 'eur' },
      {},
      {},
      'promotion_code_minimum_not_met',
    ],
    ['a coupon archived', {}, { active: false }, {}, 'coupon_inactive'],
    ['a coupon past its redeem-by date', {}, { redeemBy: new Date(now.getTime() - 1) }, {}, 'coupon_expired'],
    [
      'a coupon at its max redemptions',
      {},
      { maxRedemptions: 100 },
      { couponRedemptions: 100 },
      'coupon_used_up',
    ],
    ['a coupon for other plans', {}, { plans: ['starter'] }, {}, 'coupon_not_for_plan'],
    [
      "an amount coupon without the customer's currency",
      {},
      { percentOffBp: null, amountOff: { eur: 500 } },
      {},
      'coupon_not_for_currency',
    ],
    [
      "the code's own condition is named before the coupon's",
      { active: false },
      { active: false },
      {},
      'promotion_code_inactive',
    ],
  ])('%s', (_name, p, c, x, code) => {
    expect(promotionRefusal(promo(p), coupon(c), ctx(x))?.code ?? null).toBe(code);
  });

  test("an admin applying a coupon meets only the coupon's conditions", () => {
    expect(couponRefusal(coupon(), ctx({ hasPaidBefore: true, amountCents: 1 }))).toBeNull();
  });
});

describe('a plan change under a coupon for some plans only (the discount follows the subscription)', () => {
  const starterOnly = coupon({
    id: 'starter50',
    duration: 'forever',
    percentOffBp: 5000,
    plans: ['starter'],
  });
  const later = new Date(now.getTime() + 30 * 86_400_000);
  test.each<
    [
      string,
      { couponId: string; end: Date | null } | null,
      Partial<Coupon> | null,
      { planCode: string; at: Date; replacedByCode: boolean },
      string | null,
    ]
  >([
    [
      'starter only, onto enterprise: refused',
      { couponId: 'starter50', end: null },
      {},
      { planCode: 'enterprise', at: now, replacedByCode: false },
      'coupon_not_for_plan',
    ],
    [
      'starter only, onto enterprise at period end: refused too (the discount would still apply then)',
      { couponId: 'starter50', end: null },
      {},
      { planCode: 'enterprise', at: later, replacedByCode: false },
      'coupon_not_for_plan',
    ],
    [
      'starter only, another cycle of starter: allowed',
      { couponId: 'starter50', end: null },
      {},
      { planCode: 'starter', at: now, replacedByCode: false },
      null,
    ],
    [
      'starter and enterprise, onto enterprise: allowed',
      { couponId: 'starter50', end: null },
      { plans: ['starter', 'enterprise'] },
      { planCode: 'enterprise', at: now, replacedByCode: false },
      null,
    ],
    [
      'a coupon for every plan: allowed',
      { couponId: 'starter50', end: null },
      { plans: null },
      { planCode: 'enterprise', at: now, replacedByCode: false },
      null,
    ],
    [
      'a code typed with the change replaces the discount: allowed (the code is checked for the new plan)',
      { couponId: 'starter50', end: null },
      {},
      { planCode: 'enterprise', at: now, replacedByCode: true },
      null,
    ],
    [
      'a repeating discount that has ended by the time the new plan starts: allowed',
      { couponId: 'starter50', end: new Date(later.getTime() - 1) },
      {},
      { planCode: 'enterprise', at: later, replacedByCode: false },
      null,
    ],
    [
      'a repeating discount still running when the new plan starts: refused',
      { couponId: 'starter50', end: new Date(later.getTime() + 1) },
      {},
      { planCode: 'enterprise', at: later, replacedByCode: false },
      'coupon_not_for_plan',
    ],
    ['no discount: allowed', null, {}, { planCode: 'enterprise', at: now, replacedByCode: false }, null],
    [
      'a coupon the engine does not know (made in Stripe): allowed',
      { couponId: 'stripe-only', end: null },
      null,
      { planCode: 'enterprise', at: now, replacedByCode: false },
      null,
    ],
  ])('%s', (_name, discount, over, change, code) => {
    const c = over === null ? null : { ...starterOnly, ...over };
    expect(planChangeCouponRefusal(discount, c, change)?.code ?? null).toBe(code);
  });

  test('the refusal names the coupon and the plan', () => {
    const refusal = planChangeCouponRefusal({ couponId: 'starter50', end: null }, starterOnly, {
      planCode: 'enterprise',
      at: now,
      replacedByCode: false,
    });
    expect(refusal?.message).toMatch(/starter50.*enterprise/);
  });
});

test('codes are compared without case or surrounding spaces', () => {
  expect(normalizeCode('  launch20 ')).toBe('LAUNCH20');
});

test.each<[Partial<Coupon>, string]>([
  [{}, '20 % off, for 3 months'],
  [{ duration: 'once', percentOffBp: 1250 }, '12.5 % off, the first invoice'],
  [
    { duration: 'forever', percentOffBp: null, amountOff: { eur: 1000, usd: 1200 } },
    '10.00 EUR or 12.00 USD off, every invoice',
  ],
])('a coupon in words: %j', (over, words) => {
  expect(couponTerms(coupon(over))).toBe(words);
});

describe('what a discount takes off each line of an invoice', () => {
  test.each<[string, { percentOffBp: number | null; amountOffCents: number | null }, number[], number[]]>([
    [
      '10 % of a proration: the credit too, half away from zero',
      { percentOffBp: 1000, amountOffCents: null },
      [-955, 2455],
      [-96, 246],
    ],
    ['20 % of one line', { percentOffBp: 2000, amountOffCents: null }, [4900], [980]],
    [
      '$5 off the positive lines in order, never more than they come to',
      { percentOffBp: null, amountOffCents: 500 },
      [-300, 200, 400],
      [0, 200, 300],
    ],
    ['no lines, nothing off', { percentOffBp: 1000, amountOffCents: null }, [], []],
  ])('%s', (_name, terms, lines, off) => {
    expect(lineDiscounts(terms, lines)).toEqual(off);
  });
});

describe('line discounts against a model of them', () => {
  const lines = fc.array(fc.integer({ min: -1_000_000, max: 1_000_000 }), { maxLength: 12 });

  test('a percentage takes each line’s exact share, rounded half away from zero, credits too', () => {
    fc.assert(
      fc.property(lines, fc.integer({ min: 1, max: 10_000 }), (amounts, bp) => {
        const off = lineDiscounts({ percentOffBp: bp, amountOffCents: null }, amounts);
        amounts.forEach((a, i) => {
          // |a| × bp / 10,000, plus a half, floored: the rounding stated, in integers.
          const magnitude = Math.floor((2 * Math.abs(a) * bp + 10_000) / 20_000);
          expect(off[i]).toBe(a < 0 ? -magnitude : magnitude);
          expect(Math.abs(off[i] as number)).toBeLessThanOrEqual(Math.abs(a));
        });
      }),
      { numRuns: 500 },
    );
  });

  test('an amount off comes off the positive lines in order, never more than they or it come to', () => {
    fc.assert(
      fc.property(lines, fc.integer({ min: 1, max: 5_000_000 }), (amounts, cents) => {
        const off = lineDiscounts({ percentOffBp: null, amountOffCents: cents }, amounts);
        const positive = amounts.reduce((s, a) => s + Math.max(0, a), 0);
        expect(off.reduce((s, o) => s + o, 0)).toBe(Math.min(cents, positive));
        let left = cents;
        amounts.forEach((a, i) => {
          expect(off[i]).toBe(Math.max(0, Math.min(left, a)));
          left -= off[i] as number;
        });
      }),
      { numRuns: 500 },
    );
  });
});

import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import {
  changedFields,
  isRecordedChange,
  settled,
  withSnapshot,
  type StoredDiscount,
  type SubscriptionStateRow,
} from '../../domain/subscription-state';
import type { SubscriptionSnapshot } from '../../domain/stripe-snapshots';

const row: SubscriptionStateRow = {
  id: 'subs_1',
  customerId: 'cust_1',
  planId: 'plan_pro_v1',
  tier: 'pro',
  status: 'active',
  interval: 'month',
  amountCents: 2_000,
  currency: 'usd',
  stripeSubscriptionId: 'sub_1',
  stripeSubscriptionItemId: 'si_1',
  stripePriceId: 'price_1',
  currentPeriodStart: new Date('2026-01-01T00:00:00Z'),
  currentPeriodEnd: new Date('2026-02-01T00:00:00Z'),
  trialEnd: null,
  cancelAtPeriodEnd: false,
  awaitingCard: false,
  billingAnchor: 'anniversary',
  seats: 1,
  discount: null,
  netAmountCents: 2_000,
  canceledAt: null,
  endedAt: null,
  arrCents: 24_000,
  pendingTier: null,
  pendingInterval: null,
  pendingAmountCents: null,
  pendingEffectiveAt: null,
};

const snap: SubscriptionSnapshot = {
  stripeSubscriptionId: 'sub_1',
  stripeCustomerId: 'cus_1',
  status: 'active',
  pausedCollection: false,
  priceId: 'price_1',
  itemId: 'si_1',
  usageItemId: null,
  amountCents: 2_000,
  interval: 'month',
  currentPeriodStart: '2026-02-01T00:00:00.000Z',
  currentPeriodEnd: '2026-03-01T00:00:00.000Z',
  trialEnd: null,
  cancelAtPeriodEnd: false,
  canceledAt: null,
  hasPaymentMethod: true,
};

const now = new Date('2026-02-01T00:00:05Z');
const next = (s: Partial<SubscriptionSnapshot> | null, status = row.status, from = row) =>
  settled(withSnapshot(from, s === null ? null : { ...snap, ...s }, status), now);

describe("a subscription's recorded state", () => {
  it.each<[string, SubscriptionStateRow, boolean, string[]]>([
    ['a renewal moves only its period', next({}), false, ['currentPeriodStart', 'currentPeriodEnd']],
    [
      'a price change is a recorded change of its amount and what it recurs at',
      next({
        amountCents: 5_000,
        currentPeriodStart: '2026-01-01T00:00:00.000Z',
        currentPeriodEnd: '2026-02-01T00:00:00.000Z',
      }),
      true,
      ['amountCents', 'netAmountCents', 'arrCents'],
    ],
    [
      'a cancellation at period end is no revenue change',
      next({ cancelAtPeriodEnd: true }),
      false,
      ['currentPeriodStart', 'currentPeriodEnd', 'cancelAtPeriodEnd'],
    ],
    [
      'ending it records the change and when it ended',
      next(null, 'canceled'),
      true,
      ['status', 'endedAt', 'arrCents'],
    ],
    [
      'a trial that ended without a card is paused, awaiting one',
      next({ status: 'paused' }, 'paused'),
      true,
      ['status', 'currentPeriodStart', 'currentPeriodEnd', 'awaitingCard', 'arrCents'],
    ],
  ])('%s', (_name, after, recorded, fields) => {
    expect(isRecordedChange(row, after)).toBe(recorded);
    expect(changedFields(row, after)).toEqual(fields);
  });

  it('leaves the discount alone when the snapshot is from before discounts were read, and nets it out', () => {
    const discounted = {
      ...row,
      discount: {
        couponId: 'C',
        promotionCodeId: null,
        start: '2026-01-01T00:00:00Z',
        end: null,
        recurring: true,
        percentOffBp: 5_000,
      },
    };
    const after = next({}, 'active', discounted);
    expect(after.discount).toEqual(discounted.discount);
    expect(after).toMatchObject({ netAmountCents: 1_000, arrCents: 12_000 });
    expect(isRecordedChange(discounted, after)).toBe(true);
    expect(changedFields(discounted, after)).toEqual([
      'currentPeriodStart',
      'currentPeriodEnd',
      'netAmountCents',
      'arrCents',
    ]);
    expect(next({ discount: null }, 'active', discounted).discount).toBeNull();
  });

  it('keeps the first end of an ended subscription, and the seats and price when Stripe says none', () => {
    const ended = { ...row, status: 'canceled' as const, endedAt: new Date('2026-01-15T00:00:00Z') };
    expect(next(null, 'canceled', ended).endedAt).toEqual(new Date('2026-01-15T00:00:00Z'));
    const seated = { ...row, seats: 4 };
    expect(next({ amountCents: null }, 'active', seated)).toMatchObject({ seats: 4, amountCents: 2_000 });
  });

  it('sees a discount stored with its keys in another order as the same discount', () => {
    const d = { couponId: 'C', promotionCodeId: null, start: '2026-01-01T00:00:00Z', end: null };
    const reordered = JSON.parse(
      '{"end":null,"start":"2026-01-01T00:00:00Z","couponId":"C","promotionCodeId":null}',
    );
    expect(changedFields({ ...row, discount: d }, { ...row, discount: reordered })).toEqual([]);
    expect(
      changedFields({ ...row, discount: d }, { ...row, discount: { ...d, end: '2026-06-01T00:00:00Z' } }),
    ).toEqual(['discount']);
  });

  it('writes a discount exactly when it differs, whatever order its keys are in', () => {
    const optional = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: undefined });
    const discount: fc.Arbitrary<StoredDiscount> = fc.record({
      couponId: fc.constantFrom('C', 'D', 'LAUNCH'),
      promotionCodeId: fc.option(fc.constantFrom('promo_1', 'promo_2')),
      start: fc.constantFrom('2026-01-01T00:00:00Z', '2026-02-01T00:00:00Z'),
      end: fc.option(fc.constantFrom('2026-06-01T00:00:00Z', '2026-07-01T00:00:00Z')),
      percentOffBp: optional(fc.option(fc.constantFrom(1_000, 2_500))),
      amountOffCents: optional(fc.option(fc.constantFrom(500, 1_000))),
      recurring: optional(fc.boolean()),
      name: optional(fc.constantFrom('Launch', 'Launch ✨', '')),
    });
    // As the database gives it back: keys in any order, an absent key never stored as undefined.
    const stored = (d: StoredDiscount, order: number[]): StoredDiscount => {
      const entries = Object.entries(d).filter(([, v]) => v !== undefined);
      const shuffled = entries.map((e, i) => ({ e, k: order[i % order.length] ?? 0 }));
      shuffled.sort((a, b) => a.k - b.k);
      return Object.fromEntries(shuffled.map(({ e }) => e)) as StoredDiscount;
    };
    const withoutUndefined = (d: StoredDiscount | null) =>
      d && Object.fromEntries(Object.entries(d).filter(([, v]) => v !== undefined));
    // The model: deep equality once absent and undefined keys are the same thing; null is a value.
    const differ = (a: StoredDiscount | null, b: StoredDiscount | null) =>
      !isDeepStrictEqual(withoutUndefined(a), withoutUndefined(b));
    fc.assert(
      fc.property(
        fc.option(discount),
        fc.option(discount),
        fc.array(fc.integer({ min: 0, max: 20 }), { minLength: 1, maxLength: 8 }),
        fc.boolean(),
        (a, b, order, sameDiscount) => {
          const before = a && stored(a, order);
          // Half the cases store the same discount again, reordered: nothing to write.
          const after = sameDiscount ? a : b;
          expect(changedFields({ ...row, discount: before }, { ...row, discount: after })).toEqual(
            differ(a, after) ? ['discount'] : [],
          );
        },
      ),
    );
  });
});

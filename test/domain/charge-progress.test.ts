import fc from 'fast-check';
import {
  mergeCharge,
  stageOfDispute,
  type ChargeCopy,
  type ChargeState,
  type DisputeCopy,
} from '../../domain/charge-progress';

const copy = (over: Partial<ChargeCopy> = {}): ChargeCopy => ({
  status: 'pending',
  amountCents: 4900,
  currency: 'usd',
  paid: false,
  amountRefundedCents: 0,
  refunded: false,
  stripeInvoiceId: 'in_1',
  description: null,
  failureCode: null,
  cardBrand: 'visa',
  cardLast4: '4242',
  ...over,
});

const dispute = (id: string, status: string, createdAt: number): DisputeCopy => ({
  id,
  status,
  amountCents: 4900,
  reason: 'fraudulent',
  createdAt: new Date(createdAt * 1000),
});

describe('how a copy of a charge moves the mirror', () => {
  it.each`
    what                                                        | first                                                  | then                                          | expected
    ${'a settled outcome stays against an older pending'}       | ${copy({ status: 'succeeded', paid: true })}           | ${copy({ status: 'pending' })}                | ${{ status: 'succeeded', paid: true }}
    ${'a failure and its reason stay against an older pending'} | ${copy({ status: 'failed', failureCode: 'declined' })} | ${copy({ status: 'pending' })}                | ${{ status: 'failed', failureCode: 'declined' }}
    ${'pending moves on to succeeded'}                          | ${copy()}                                              | ${copy({ status: 'succeeded', paid: true })}  | ${{ status: 'succeeded', paid: true }}
    ${'the refunded amount only grows'}                         | ${copy({ amountRefundedCents: 900, refunded: false })} | ${copy({ amountRefundedCents: 0 })}           | ${{ amountRefundedCents: 900 }}
    ${'fully refunded stays refunded'}                          | ${copy({ amountRefundedCents: 4900, refunded: true })} | ${copy({ amountRefundedCents: 900 })}         | ${{ amountRefundedCents: 4900, refunded: true }}
    ${'a copy without a card keeps the one known'}              | ${copy()}                                              | ${copy({ cardBrand: null, cardLast4: null })} | ${{ cardBrand: 'visa', cardLast4: '4242' }}
    ${'a copy without its invoice keeps the one known'}         | ${copy()}                                              | ${copy({ stripeInvoiceId: null })}            | ${{ stripeInvoiceId: 'in_1' }}
  `('$what', ({ first, then, expected }) => {
    expect(mergeCharge(mergeCharge(null, first, null), then, null)).toMatchObject(expected);
  });

  it.each`
    what                                                         | first                                    | then                                     | status
    ${'a dispute under review is not set back by an older read'} | ${dispute('dp_1', 'under_review', 10)}   | ${dispute('dp_1', 'needs_response', 10)} | ${'under_review'}
    ${'a dispute moves on to its outcome'}                       | ${dispute('dp_1', 'under_review', 10)}   | ${dispute('dp_1', 'lost', 10)}           | ${'lost'}
    ${'an older dispute does not replace a newer one'}           | ${dispute('dp_2', 'needs_response', 20)} | ${dispute('dp_1', 'won', 10)}            | ${'needs_response'}
    ${'a newer dispute replaces an ended one'}                   | ${dispute('dp_1', 'won', 10)}            | ${dispute('dp_2', 'needs_response', 20)} | ${'needs_response'}
  `('$what', ({ first, then, status }) => {
    const once = mergeCharge(null, copy({ status: 'succeeded', paid: true }), first);
    expect(mergeCharge(once, copy({ status: 'succeeded', paid: true }), then).disputeStatus).toBe(status);
  });

  it('ends where the furthest copy is, whatever order the copies of one lifecycle land in', () => {
    // A charge's life as Stripe moves it: pending, then succeeded, then refunds that only add up.
    const lifecycle = fc.array(fc.integer({ min: 1, max: 1_000 }), { maxLength: 5 }).map((refunds) => {
      const copies = [copy(), copy({ status: 'succeeded', paid: true })];
      let refunded = 0;
      for (const r of refunds) {
        refunded = Math.min(4900, refunded + r);
        copies.push(
          copy({
            status: 'succeeded',
            paid: true,
            amountRefundedCents: refunded,
            refunded: refunded === 4900,
          }),
        );
      }
      return copies;
    });
    fc.assert(
      fc.property(
        lifecycle.chain((copies) =>
          fc.tuple(fc.constant(copies), fc.shuffledSubarray(copies, { minLength: copies.length })),
        ),
        ([inOrder, shuffled]) => {
          const merge = (cs: ChargeCopy[]) =>
            cs.reduce<ChargeState | null>((row, c) => mergeCharge(row, c, null), null);
          expect(merge(shuffled)).toEqual(merge(inOrder));
        },
      ),
    );
  });

  it('orders the stages of a dispute', () => {
    expect(stageOfDispute(null)).toBeLessThan(stageOfDispute('warning_needs_response'));
    expect(stageOfDispute('needs_response')).toBeLessThan(stageOfDispute('under_review'));
    expect(stageOfDispute('under_review')).toBeLessThan(stageOfDispute('lost'));
  });
});

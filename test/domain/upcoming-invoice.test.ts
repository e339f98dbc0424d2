import { hasUpcomingInvoice, upcomingLineKind } from '../../domain/upcoming-invoice';

describe('the upcoming invoice', () => {
  it.each`
    proration | metered  | recurring | kind
    ${false}  | ${false} | ${true}   | ${'plan'}
    ${false}  | ${true}  | ${true}   | ${'usage'}
    ${true}   | ${false} | ${true}   | ${'proration'}
    ${true}   | ${true}  | ${true}   | ${'proration'}
    ${false}  | ${false} | ${false}  | ${'one_time'}
  `('a line (proration $proration, metered $metered, recurring $recurring) bills $kind', (line) => {
    expect(upcomingLineKind(line)).toBe(line.kind);
  });

  it.each`
    status          | cancelAtPeriodEnd | stripeSubscriptionId | coming
    ${'active'}     | ${false}          | ${'sub_1'}           | ${true}
    ${'trialing'}   | ${false}          | ${'sub_1'}           | ${true}
    ${'past_due'}   | ${false}          | ${'sub_1'}           | ${true}
    ${'active'}     | ${true}           | ${'sub_1'}           | ${false}
    ${'paused'}     | ${false}          | ${'sub_1'}           | ${false}
    ${'suspended'}  | ${false}          | ${'sub_1'}           | ${false}
    ${'incomplete'} | ${false}          | ${null}              | ${false}
    ${'active'}     | ${false}          | ${null}              | ${false}
    ${'canceled'}   | ${false}          | ${'sub_1'}           | ${false}
  `(
    '$status, ending $cancelAtPeriodEnd, in Stripe as $stripeSubscriptionId: an invoice is coming $coming',
    (s) => {
      expect(hasUpcomingInvoice(s)).toBe(s.coming);
    },
  );
});

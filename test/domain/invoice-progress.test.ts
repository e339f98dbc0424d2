import fc from 'fast-check';
import { isBehind, type InvoiceProgress } from '../../domain/invoice-progress';

const at = (status: string, attemptCount = 0, amountPaidCents = 0): InvoiceProgress => ({
  status,
  attemptCount,
  amountPaidCents,
});

describe('which of two reads of an invoice is the older', () => {
  it.each`
    read                      | stored                    | behind
    ${at('draft')}            | ${at('open')}             | ${true}
    ${at('open')}             | ${at('draft')}            | ${false}
    ${at('open', 1)}          | ${at('paid', 1, 900)}     | ${true}
    ${at('open', 2)}          | ${at('paid', 1, 900)}     | ${true}
    ${at('open', 1)}          | ${at('open', 2)}          | ${true}
    ${at('open', 2)}          | ${at('open', 1)}          | ${false}
    ${at('open', 1, 0)}       | ${at('open', 1, 500)}     | ${true}
    ${at('open', 1)}          | ${at('open', 1)}          | ${false}
    ${at('uncollectible')}    | ${at('open', 4)}          | ${false}
    ${at('open', 4)}          | ${at('uncollectible', 4)} | ${true}
    ${at('uncollectible', 4)} | ${at('paid', 5, 900)}     | ${true}
    ${at('open', 1)}          | ${at('void', 1)}          | ${true}
    ${at('paid', 1, 900)}     | ${at('paid', 1, 900)}     | ${false}
  `(
    '$read.status/$read.attemptCount/$read.amountPaidCents against $stored.status/$stored.attemptCount → $behind',
    ({ read, stored, behind }) => {
      expect(isBehind(read, stored)).toBe(behind);
    },
  );

  /** A lifecycle as Stripe moves an invoice: each step forwards only. */
  const lifecycle = fc
    .array(fc.constantFrom('attempt_failed', 'partial_payment', 'finalize', 'pay', 'void', 'uncollectible'), {
      maxLength: 12,
    })
    .map((steps) => {
      const states: InvoiceProgress[] = [at('draft')];
      let s = at('draft');
      for (const step of steps) {
        const final = s.status === 'paid' || s.status === 'void';
        if (step === 'finalize' && s.status === 'draft') s = { ...s, status: 'open' };
        else if (step === 'attempt_failed' && s.status === 'open')
          s = { ...s, attemptCount: s.attemptCount + 1 };
        else if (step === 'partial_payment' && s.status === 'open')
          s = { ...s, amountPaidCents: s.amountPaidCents + 100 };
        else if (step === 'pay' && !final && s.status !== 'draft')
          s = { status: 'paid', attemptCount: s.attemptCount + 1, amountPaidCents: s.amountPaidCents + 1000 };
        else if (step === 'void' && !final && s.status !== 'draft') s = { ...s, status: 'void' };
        else if (step === 'uncollectible' && s.status === 'open') s = { ...s, status: 'uncollectible' };
        else continue;
        states.push(s);
      }
      return states;
    });

  it('never takes a later state of a lifecycle for an older one, and always knows an earlier one', () => {
    fc.assert(
      fc.property(lifecycle, (states) => {
        for (let i = 0; i < states.length; i++)
          for (let j = i + 1; j < states.length; j++) {
            expect(isBehind(states[j] as InvoiceProgress, states[i] as InvoiceProgress)).toBe(false);
            expect(isBehind(states[i] as InvoiceProgress, states[j] as InvoiceProgress)).toBe(true);
          }
      }),
    );
  });
});

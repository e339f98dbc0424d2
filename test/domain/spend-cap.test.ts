import type { SpendCap } from '../../domain/credit-usage';
import {
  enforcedSpendCap,
  MAX_SPEND_CAP_CENTS,
  spendCapInForce,
  spendCapRefusal,
} from '../../domain/spend-cap';

const block = (cents: number): SpendCap => ({ cents, mode: 'block' });
const notify = (cents: number): SpendCap => ({ cents, mode: 'notify' });

describe('the spend cap a customer may choose', () => {
  it.each`
    case                                                     | cap                               | max     | code                         | field
    ${'no cap and no maximum'}                               | ${null}                           | ${null} | ${null}                      | ${null}
    ${'a notifying cap without a maximum'}                   | ${notify(500)}                    | ${null} | ${null}                      | ${null}
    ${'a blocking cap at the maximum'}                       | ${block(1000)}                    | ${1000} | ${null}                      | ${null}
    ${'a blocking cap of nothing under a maximum'}           | ${block(0)}                       | ${1000} | ${null}                      | ${null}
    ${'no cap under a maximum'}                              | ${null}                           | ${1000} | ${'spend_cap_required'}      | ${'amountCents'}
    ${'a blocking cap above the maximum'}                    | ${block(1001)}                    | ${1000} | ${'spend_cap_above_maximum'} | ${'amountCents'}
    ${'a cap above the engine’s maximum'}                    | ${block(MAX_SPEND_CAP_CENTS + 1)} | ${null} | ${'spend_cap_above_maximum'} | ${'amountCents'}
    ${'a notifying cap under a maximum, however low'}        | ${notify(500)}                    | ${1000} | ${'spend_cap_must_block'}    | ${'mode'}
    ${'a notifying cap of nothing under a maximum'}          | ${notify(0)}                      | ${1000} | ${'spend_cap_must_block'}    | ${'mode'}
    ${'a notifying cap above the maximum: the amount first'} | ${notify(1001)}                   | ${1000} | ${'spend_cap_above_maximum'} | ${'amountCents'}
  `('$case: $code', ({ cap, max, code, field }) => {
    const refusal = spendCapRefusal(cap, max);
    if (code === null) expect(refusal).toBeNull();
    else expect(refusal).toMatchObject({ code, field });
  });
});

describe('the spend cap the engine enforces', () => {
  it.each`
    case                                                         | stored          | max     | enforced
    ${'no cap and no maximum: none'}                             | ${null}         | ${null} | ${null}
    ${'without a maximum, the customer’s own, notifying or not'} | ${notify(2500)} | ${null} | ${notify(2500)}
    ${'a blocking cap within the maximum stays'}                 | ${block(500)}   | ${1000} | ${block(500)}
    ${'a notifying cap within the maximum blocks at its amount'} | ${notify(500)}  | ${1000} | ${block(500)}
    ${'a notifying cap above the maximum blocks at the maximum'} | ${notify(2500)} | ${1000} | ${block(1000)}
    ${'a blocking cap above the maximum blocks at the maximum'}  | ${block(2500)}  | ${1000} | ${block(1000)}
    ${'no cap under a maximum blocks at the maximum'}            | ${null}         | ${1000} | ${block(1000)}
    ${'a maximum of nothing blocks all overage'}                 | ${notify(300)}  | ${0}    | ${block(0)}
  `('$case', ({ stored, max, enforced }) => {
    expect(enforcedSpendCap(stored, max)).toEqual(enforced);
  });

  it('is a cap the customer could have chosen under that maximum', () => {
    for (const stored of [null, block(0), block(999), notify(0), notify(5000), block(5000)])
      for (const max of [0, 1, 1000]) expect(spendCapRefusal(enforcedSpendCap(stored, max), max)).toBeNull();
  });
});

describe('the spend cap in force for what a settings row stores', () => {
  it.each`
    case                                                 | stored                                                                    | inForce
    ${'no settings row'}                                 | ${null}                                                                   | ${null}
    ${'a row without a cap or a maximum'}                | ${{ spendCapCents: null, spendCapMode: 'block', spendCapMaxCents: null }} | ${null}
    ${'a row whose fields were never set'}               | ${{ spendCapMode: 'notify' }}                                             | ${null}
    ${'a notifying cap, no maximum'}                     | ${{ spendCapCents: 500, spendCapMode: 'notify', spendCapMaxCents: null }} | ${notify(500)}
    ${'a cap of nothing'}                                | ${{ spendCapCents: 0, spendCapMode: 'block', spendCapMaxCents: null }}    | ${block(0)}
    ${'a maximum without a cap of their own'}            | ${{ spendCapCents: null, spendCapMode: 'notify', spendCapMaxCents: 900 }} | ${block(900)}
    ${'a notifying cap under a maximum, stored earlier'} | ${{ spendCapCents: 500, spendCapMode: 'notify', spendCapMaxCents: 900 }}  | ${block(500)}
    ${'a cap above the maximum'}                         | ${{ spendCapCents: 1500, spendCapMode: 'block', spendCapMaxCents: 900 }}  | ${block(900)}
  `('$case', ({ stored, inForce }) => {
    expect(spendCapInForce(stored)).toEqual(inForce);
  });
});

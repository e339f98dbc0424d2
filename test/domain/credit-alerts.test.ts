import { crossedAlerts, effectiveAlerts, type AlertState } from '../../domain/credit-alerts';

const state = (over: Partial<AlertState> = {}): AlertState => ({
  included: 1000,
  includedUsed: 0,
  prepaidBalance: null,
  overageCents: 0,
  cap: null,
  ...over,
});
const none = { includedPercent: null, balanceBelow: null, overageCents: null };

describe('which alerts are crossed', () => {
  it.each`
    case                                              | s                                                                                     | thresholds                          | events
    ${'nothing used'}                                 | ${state()}                                                                            | ${{ ...none, includedPercent: 80 }} | ${[]}
    ${'79.9 % of included used'}                      | ${state({ includedUsed: 799 })}                                                       | ${{ ...none, includedPercent: 80 }} | ${[]}
    ${'exactly 80 % used'}                            | ${state({ includedUsed: 800 })}                                                       | ${{ ...none, includedPercent: 80 }} | ${['usage.threshold_reached']}
    ${'a plan without included credits'}              | ${state({ included: 0, includedUsed: 0 })}                                            | ${{ ...none, includedPercent: 80 }} | ${[]}
    ${'balance below the line'}                       | ${state({ prepaidBalance: 99 })}                                                      | ${{ ...none, balanceBelow: 100 }}   | ${['credits.low']}
    ${'balance at the line'}                          | ${state({ prepaidBalance: 100 })}                                                     | ${{ ...none, balanceBelow: 100 }}   | ${[]}
    ${'never had credits: a zero balance is no news'} | ${state({ prepaidBalance: null })}                                                    | ${{ ...none, balanceBelow: 100 }}   | ${[]}
    ${'overage at the amount'}                        | ${state({ overageCents: 500 })}                                                       | ${{ ...none, overageCents: 500 }}   | ${['usage.overage_reached']}
    ${'a blocking cap refusing the next unit'}        | ${state({ overageCents: 300, cap: { cents: 300, mode: 'block', refusing: true } })}   | ${none}                             | ${['spend_cap.reached']}
    ${'a blocking cap not yet refusing'}              | ${state({ overageCents: 299, cap: { cents: 300, mode: 'block', refusing: false } })}  | ${none}                             | ${[]}
    ${'a notifying cap passed'}                       | ${state({ overageCents: 301, cap: { cents: 300, mode: 'notify', refusing: false } })} | ${none}                             | ${['spend_cap.reached']}
    ${'a zero notifying cap with no overage'}         | ${state({ overageCents: 0, cap: { cents: 0, mode: 'notify', refusing: false } })}     | ${none}                             | ${[]}
  `('$case', ({ s, thresholds, events }) => {
    expect(crossedAlerts(s, thresholds).map((c) => c.event)).toEqual(events);
  });
});

describe('whose thresholds hold', () => {
  it('the customer’s own, then the plan’s default, then the engine’s 80 %', () => {
    expect(effectiveAlerts({}, {})).toEqual({
      includedPercent: { value: 80, source: 'engine' },
      balanceBelow: { value: null, source: 'engine' },
      overageCents: { value: null, source: 'engine' },
    });
    expect(effectiveAlerts({ balanceBelow: 50 }, { includedPercent: 90, balanceBelow: 10 })).toEqual({
      includedPercent: { value: 90, source: 'plan' },
      balanceBelow: { value: 50, source: 'customer' },
      overageCents: { value: null, source: 'engine' },
    });
    expect(effectiveAlerts({ includedPercent: null }, { includedPercent: 90 }).includedPercent).toEqual({
      value: 90,
      source: 'plan',
    });
  });
});

import type { UsageAccount } from '../../domain/credit-usage';

/** An account an event draws on: nothing left but what `over` gives, overage at 200¢ per thousand. */
export const usageAccount = (over: Partial<UsageAccount> = {}): UsageAccount => ({
  includedLeft: 0,
  grants: [],
  movements: [],
  overageUnits: 0,
  overagePer1kCents: 200,
  cap: null,
  prepaidOnly: false,
  ...over,
});

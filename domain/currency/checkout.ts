import { CURRENCIES, parseCurrency } from './codes';

/**
 * The currency a checkout bills in. A customer whose first checkout went through pays in that currency
 * for good (Stripe refuses a second currency on one customer), so asking for another is a conflict, not
 * a silent switch. Undefined: the plan's own.
 */
export function checkoutCurrency(
  fixed: string | null,
  asked: string | null,
):
  | { currency: string | undefined }
  | { kind: 'invalid' | 'conflict'; code: string; message: string; details: Record<string, unknown> } {
  if (asked === null) return { currency: fixed ?? undefined };
  const wanted = parseCurrency(asked);
  if (!wanted)
    return {
      kind: 'invalid',
      code: 'currency_not_supported',
      message: `"${asked}" is not a currency we price in`,
      details: { currencies: [...CURRENCIES] },
    };
  if (fixed && wanted !== fixed)
    return {
      kind: 'conflict',
      code: 'currency_fixed',
      message: `Your account pays in ${fixed.toUpperCase()}; it cannot change to ${wanted.toUpperCase()}`,
      details: { currency: fixed },
    };
  return { currency: wanted };
}

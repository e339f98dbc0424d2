import type { EntityManager } from '@mikro-orm/core';
import { EngineSetting } from '../../db/entities';
import { EXCHANGE_RATES_KEY, readExchangeRates, type ExchangeRates } from '../../db/exchange-rates';
import { recordAudit } from '../../db/audit';
import { isCurrency } from '../../domain/currency/codes';
import { parseRate, rateText } from '../../domain/currency/exchange-rates';
import { AppError } from '../../domain/errors';
import type { Identity } from '../../domain/identity';

export { readExchangeRates, type ExchangeRates };

/**
 * Replaces the reporting currency and the rates into it; each rate is refused by its currency when it is
 * not a positive decimal of at most 8 places. Audited.
 */
export async function setExchangeRates(
  em: EntityManager,
  actor: Identity,
  next: { reportingCurrency: string; rates: Record<string, string | number> },
  now: Date,
): Promise<ExchangeRates> {
  if (!isCurrency(next.reportingCurrency))
    throw new AppError(
      'invalid',
      'currency_not_supported',
      `"${next.reportingCurrency}" is not a currency we price in`,
      {
        field: 'reportingCurrency',
      },
    );
  const rates: Record<string, string> = {};
  for (const [currency, value] of Object.entries(next.rates)) {
    if (!isCurrency(currency))
      throw new AppError('invalid', 'currency_not_supported', `"${currency}" is not a currency we price in`, {
        field: `rates.${currency}`,
      });
    const scaled = parseRate(value);
    if (scaled === null)
      throw new AppError(
        'invalid',
        'invalid_exchange_rate',
        'A rate is a positive decimal below 10,000 with at most 8 places, such as "1.0832"',
        { field: `rates.${currency}` },
      );
    // The reporting currency is worth exactly one of itself; a rate for it would only contradict that.
    if (currency !== next.reportingCurrency) rates[currency] = rateText(scaled);
  }
  const before = await readExchangeRates(em);
  const value = { reportingCurrency: next.reportingCurrency, rates };
  // One atomic insert-or-update: two first saves at once both succeed (the later wins), never a key clash.
  await em.upsert(EngineSetting, { key: EXCHANGE_RATES_KEY, value, updatedBy: actor.sub, updatedAt: now });
  recordAudit(em, {
    actor,
    action: 'exchange_rates.update',
    entityType: 'engine_setting',
    entityId: EXCHANGE_RATES_KEY,
    before: { reportingCurrency: before.reportingCurrency, rates: before.rates },
    after: value,
  });
  await em.flush();
  return readExchangeRates(em);
}

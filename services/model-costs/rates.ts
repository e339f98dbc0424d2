import { UniqueConstraintViolationException, type EntityManager } from '@mikro-orm/core';
import { COST_CURRENCY } from '../../domain/model-costs/catalogue';
import { allModelRates, readMarginFloor, saveMarginFloor, saveModelCostOverride } from '../../db/model-costs';
import { AppError } from '../../domain/errors';
import type { Identity } from '../../domain/identity';
import {
  costDayRefusal,
  dayOf,
  ratesInEffect,
  type RateText,
  type TokenKind,
} from '../../domain/model-costs/costs';

/** Each model's rate in force today and those scheduled, with the whole history of rows. */
export async function modelCosts(em: EntityManager, now: Date) {
  const [rates, floor] = await Promise.all([allModelRates(em), readMarginFloor(em)]);
  return {
    today: dayOf(now),
    currency: COST_CURRENCY,
    marginFloorPercent: floor.percent,
    models: ratesInEffect(rates, dayOf(now)),
    rates,
  };
}

/** Sets the least margin a rate card may sell a model's tokens at, in percent of the price (audited). */
export async function setMarginFloor(em: EntityManager, actor: Identity, percent: number, now: Date) {
  try {
    await saveMarginFloor(em.fork(), actor, percent, now);
  } catch (err) {
    // Two first settings raced past the lookup: the later one replaces the first.
    if (!(err instanceof UniqueConstraintViolationException)) throw err;
    await saveMarginFloor(em.fork(), actor, percent, now);
  }
  return modelCosts(em, now);
}

export interface OverrideAsk {
  model: string;
  provider?: string;
  validFrom?: string;
  rates: Partial<Record<TokenKind, RateText>> & { input: RateText; output: RateText };
  reason: string;
}

/**
 * Sets an admin's negotiated rate for a model from a day to come (tomorrow, UTC, unless later is asked):
 * a day already begun has usage costed at its rate, which an override must never change. Cached tokens
 * default to the input rate, reasoning tokens to the output rate; the provider to the catalogue's.
 */
export async function overrideModelCost(em: EntityManager, actor: Identity, ask: OverrideAsk, now: Date) {
  const today = dayOf(now);
  const validFrom = ask.validFrom ?? dayOf(new Date(now.getTime() + 86_400_000));
  const refusal = costDayRefusal(validFrom, today);
  if (refusal) throw new AppError('conflict', 'cost_history_fixed', refusal, { field: 'valid_from' });
  const rates = await allModelRates(em);
  const provider = ask.provider ?? rates.find((r) => r.model === ask.model)?.provider;
  if (!provider) {
    throw new AppError(
      'invalid',
      'validation_failed',
      'provider: required for a model the catalogue does not list',
      {
        field: 'provider',
      },
    );
  }
  const full = {
    input: ask.rates.input,
    cached: ask.rates.cached ?? ask.rates.input,
    output: ask.rates.output,
    reasoning: ask.rates.reasoning ?? ask.rates.output,
  } satisfies Record<TokenKind, RateText>;
  const rate = { model: ask.model, provider, validFrom, rates: full, reason: ask.reason };
  try {
    await saveModelCostOverride(em.fork(), actor, rate);
  } catch (err) {
    // Two overrides of one model and day raced past the lookup: the later replaces the first, as it would
    // one after the other.
    if (!(err instanceof UniqueConstraintViolationException)) throw err;
    await saveModelCostOverride(em.fork(), actor, rate);
  }
  return modelCosts(em, now);
}

import type { RateLine } from '../../domain/rate-card';
import { parseRateCard } from '../../domain/rate-card-wire';

/**
 * The card the rate-card scenarios bill by; every figure they check is computed by hand from it:
 * - inference: 0.1¢ a unit; gpt-4o output tokens on graduated tiers (0.5¢ to 1,000, 0.25¢ to 3,000, then
 *   0.1¢); embeddings on volume tiers (all at 0.02¢ up to 1,000, all at 0.01¢ beyond);
 * - BYOK usage of any type: a platform fee of 0.05¢ a unit;
 * - everything else (tts…): the plan's own credits, the pool.
 */
export function aiRateCard(): RateLine[] {
  return rateCard([
    { usage_type: 'inference', price: { model: 'per_unit', unit_amount_decimal: '0.1' } },
    {
      usage_type: 'inference',
      match: { model: 'gpt-4o', direction: 'output' },
      price: {
        model: 'graduated',
        tiers: [
          { up_to: 1000, unit_amount_decimal: '0.5' },
          { up_to: 3000, unit_amount_decimal: '0.25' },
          { up_to: null, unit_amount_decimal: '0.1' },
        ],
      },
    },
    {
      usage_type: 'embedding',
      price: {
        model: 'volume',
        tiers: [
          { up_to: 1000, unit_amount_decimal: '0.02' },
          { up_to: null, unit_amount_decimal: '0.01' },
        ],
      },
    },
    { usage_type: '*', byok: true, price: { model: 'per_unit', unit_amount_decimal: '0.05' } },
  ]);
}

/** The same lines in euros, at about nine tenths of the dollar prices (the EUR scenarios check by hand). */
export function aiRateCardEur(): RateLine[] {
  return rateCard([
    { usage_type: 'inference', price: { model: 'per_unit', unit_amount_decimal: '0.09' } },
    {
      usage_type: 'inference',
      match: { model: 'gpt-4o', direction: 'output' },
      price: {
        model: 'graduated',
        tiers: [
          { up_to: 1000, unit_amount_decimal: '0.45' },
          { up_to: 3000, unit_amount_decimal: '0.2' },
          { up_to: null, unit_amount_decimal: '0.09' },
        ],
      },
    },
    {
      usage_type: 'embedding',
      price: {
        model: 'volume',
        tiers: [
          { up_to: 1000, unit_amount_decimal: '0.018' },
          { up_to: null, unit_amount_decimal: '0.009' },
        ],
      },
    },
    { usage_type: '*', byok: true, price: { model: 'per_unit', unit_amount_decimal: '0.04' } },
  ]);
}

/** A card from its wire form; a malformed one fails the test that wrote it. */
export function rateCard(lines: unknown[]): RateLine[] {
  const parsed = parseRateCard(lines);
  if ('field' in parsed) throw new Error(`${parsed.field}: ${parsed.message}`);
  return parsed.lines;
}

import type Stripe from 'stripe';
import { invalidParam } from '../errors';
import type { Params } from '../form';
import { objectList, optInt, optString } from '../params';
import type { PriceRec } from '../types';

/** Reads `tiers[]` as Stripe takes it: ascending `up_to`, the last one `inf`, an amount on each. */
export function parseTiers(params: Params): Stripe.Price.Tier[] {
  const raw = objectList(params, 'tiers');
  if (raw.length === 0) throw invalidParam('tiers', 'Tiered prices need `tiers`.');
  let previous = 0;
  return raw.map((t, i) => {
    const upToRaw = optString(t, 'up_to');
    const last = i === raw.length - 1;
    if (upToRaw === undefined) throw invalidParam(`tiers[${i}][up_to]`, 'Missing required param: up_to.');
    if (last !== (upToRaw === 'inf')) {
      throw invalidParam(
        `tiers[${i}][up_to]`,
        'Only the last tier, and every last tier, has `up_to` = `inf`.',
      );
    }
    const upTo = last ? null : Number(upToRaw);
    if (upTo !== null && (!Number.isInteger(upTo) || upTo <= previous)) {
      throw invalidParam(`tiers[${i}][up_to]`, 'Tier bounds must be whole numbers in ascending order.');
    }
    if (upTo !== null) previous = upTo;
    const unit = optInt(t, 'unit_amount');
    const unitDecimal = optString(t, 'unit_amount_decimal');
    const flat = optInt(t, 'flat_amount');
    const flatDecimal = optString(t, 'flat_amount_decimal');
    if (unit === undefined && unitDecimal === undefined && flat === undefined && flatDecimal === undefined) {
      throw invalidParam(`tiers[${i}]`, 'Each tier needs a unit amount or a flat amount.');
    }
    for (const [name, v] of [
      ['unit_amount_decimal', unitDecimal],
      ['flat_amount_decimal', flatDecimal],
    ] as const) {
      if (v !== undefined && !/^\d+(\.\d{1,12})?$/.test(v)) throw invalidParam(`tiers[${i}][${name}]`);
    }
    const unitD = unitDecimal ?? (unit !== undefined ? String(unit) : null);
    const flatD = flatDecimal ?? (flat !== undefined ? String(flat) : null);
    return {
      up_to: upTo,
      unit_amount: unitD !== null && Number.isInteger(Number(unitD)) ? Number(unitD) : null,
      unit_amount_decimal: unitD,
      flat_amount: flatD !== null && Number.isInteger(Number(flatD)) ? Number(flatD) : null,
      flat_amount_decimal: flatD,
    };
  });
}

/** A decimal amount in cents as an exact integer count of 10⁻¹² cents, so sums of fractions do not drift. */
const SCALE = 12;
function scaled(v: string | null | undefined): bigint {
  if (!v) return 0n;
  const [whole = '0', frac = ''] = v.split('.');
  return BigInt(whole) * 10n ** BigInt(SCALE) + BigInt(frac.padEnd(SCALE, '0').slice(0, SCALE) || '0');
}

/** Whole cents, half up (amounts here are never negative). */
function toCents(v: bigint): number {
  const unit = 10n ** BigInt(SCALE);
  return Number((v + unit / 2n) / unit);
}

/**
 * What `quantity` units of a price cost, in cents. Graduated tiers price each unit at the tier it falls in;
 * volume tiers price every unit at the tier the total lands in. Sub-cent unit prices are summed exactly and
 * rounded once, as Stripe rounds a line.
 */
export function priceAmount(price: PriceRec, quantity: number): number {
  const q = BigInt(quantity);
  if (price.billing_scheme !== 'tiered' || !price.tiers) {
    return toCents(scaled(price.unit_amount_decimal ?? String(price.unit_amount ?? 0)) * q);
  }
  let total = 0n;
  if (price.tiers_mode === 'volume') {
    const tier = price.tiers.find((t) => t.up_to === null || quantity <= t.up_to) as Stripe.Price.Tier;
    total = scaled(tier.unit_amount_decimal) * q + (quantity > 0 ? scaled(tier.flat_amount_decimal) : 0n);
  } else {
    let floor = 0;
    for (const t of price.tiers) {
      const ceiling = t.up_to ?? Infinity;
      const units = Math.max(0, Math.min(quantity, ceiling) - floor);
      if (units > 0) total += scaled(t.unit_amount_decimal) * BigInt(units) + scaled(t.flat_amount_decimal);
      floor = ceiling;
      if (quantity <= floor) break;
    }
  }
  return toCents(total);
}

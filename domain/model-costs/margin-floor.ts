import { lineKey, POOL_LINE_KEY, type PriceModel, type RateLine } from '../rate-card';
import { decimalToScaled } from '../rate-card-rating';
import { convertAmount, type Conversion } from '../currency/exchange-rates';
import { COST_CURRENCY } from './catalogue';
import { parseRate, rateOn, TOKEN_KINDS, type ModelRate, type TokenKind } from './costs';

/**
 * The margin floor: a rate card line that prices a model's tokens must leave at least `floorPercent` of
 * its price above what the platform pays for them, at the model's rate in force today and at every rate
 * already scheduled (the card will still be selling then). A line names a model by `match.model`; its
 * unit is taken to be a token. The kind is the line's `direction` when it names one, else the dearest
 * kind, as the line may be selling any of them. A tiered price is judged at its cheapest tier (flat fees
 * aside), a package at its price per unit. Lines of models the catalogue does not know, the pool and BYOK
 * lines (which cost the platform nothing) are not judged.
 */

export interface FloorBreach {
  /** The line's index in the card as sent. */
  index: number;
  line: string;
  model: string;
  kind: TokenKind;
  /** Cents per million tokens, at the line's cheapest unit price. */
  pricePerMillionCents: number;
  costPerMillionCents: number;
  /** The day of the cost rate judged against. */
  costFrom: string;
  marginPercent: number | null;
  floorPercent: number;
  /** The card's currency, which the price and the (converted) cost are in. */
  currency: string;
}

/** The line's cheapest price of one unit, in picocents. */
function cheapestUnit(price: PriceModel): bigint {
  switch (price.model) {
    case 'per_unit':
      return decimalToScaled(price.unitAmountDecimal);
    case 'package':
      return (BigInt(price.amountCents) * 10n ** 12n) / BigInt(price.packageSize);
    case 'graduated':
    case 'volume':
      return price.tiers.map((t) => decimalToScaled(t.unitAmountDecimal)).reduce((a, b) => (b < a ? b : a));
  }
}

const perMillion = (pico: bigint) => Number(pico) / 1_000_000;

/** Each line of `card` below the floor, judged against every cost rate from `today` on; empty when none. */
export function marginFloorBreaches(
  card: readonly RateLine[],
  rates: readonly ModelRate[],
  today: string,
  floorPercent: number,
  /** A card in another currency than the catalogue's: its costs converted at the admin's rate. */
  into?: Conversion,
): FloorBreach[] {
  const breaches: FloorBreach[] = [];
  card.forEach((line, index) => {
    const model = line.match.model;
    if (line.byok || line.usageType === POOL_LINE_KEY || model === undefined) return;
    const days = [
      today,
      ...rates.filter((r) => r.model === model && r.validFrom > today).map((r) => r.validFrom),
    ];
    const judged = [...new Set(days)].flatMap((d) => rateOn(rates, model, d) ?? []);
    if (judged.length === 0) return;
    const price = cheapestUnit(line.price);
    const direction = TOKEN_KINDS.find((k) => k === line.match.direction);
    // One price per line: the dearest cost below the floor is the least margin, the one to report.
    let worst: { cost: bigint; kind: TokenKind; from: string } | null = null;
    for (const rate of judged) {
      for (const kind of direction ? [direction] : TOKEN_KINDS) {
        const usd = parseRate(rate.rates[kind]) ?? 0n;
        const cost = into ? convertAmount(usd, into) : usd;
        // margin = (price − cost) ÷ price, below the floor when (price − cost) × 100 < floor × price.
        const below =
          price === 0n
            ? cost > 0n || floorPercent > 0
            : Number(price - cost) * 100 < floorPercent * Number(price);
        if (below && (!worst || cost > worst.cost)) worst = { cost, kind, from: rate.validFrom };
      }
    }
    if (worst) {
      breaches.push({
        index,
        line: lineKey(line),
        model,
        kind: worst.kind,
        pricePerMillionCents: perMillion(price),
        costPerMillionCents: perMillion(worst.cost),
        costFrom: worst.from,
        marginPercent:
          price === 0n ? null : Math.round((Number(price - worst.cost) / Number(price)) * 1000) / 10,
        floorPercent,
        currency: into?.to ?? COST_CURRENCY,
      });
    }
  });
  return breaches;
}

/** A breach in words, for the refusal and the audit log. */
export function describeBreach(b: FloorBreach): string {
  const margin = b.marginPercent === null ? 'no margin' : `a margin of ${b.marginPercent} %`;
  const inCatalogue = b.currency === COST_CURRENCY;
  const cents = (n: number) => (inCatalogue ? `${n}¢` : `${n} ${b.currency.toUpperCase()} cents`);
  const at = inCatalogue ? '' : ', at the exchange rate';
  return (
    `${b.line} sells ${b.model} ${b.kind} tokens at ${cents(b.pricePerMillionCents)} per million against a cost of ` +
    `${cents(b.costPerMillionCents)} (from ${b.costFrom}${at}): ${margin}, below the floor of ${b.floorPercent} %`
  );
}

import { centsToDollars, type Cents } from '../../domain/money';

/**
 * The seeds' answers carry money twice: `amount` in dollars for clients that read dollars, beside
 * `amount_cents`, which is what the engine stores. Every DTO writes the pair through here, so the two
 * can never disagree.
 */
export function moneyFields<K extends string>(name: K, cents: Cents): { [P in K | `${K}_cents`]: number } {
  return { [name]: centsToDollars(cents), [`${name}_cents`]: cents } as { [P in K | `${K}_cents`]: number };
}

/** The same pair for an amount that may be absent (both fields null). */
export function nullableMoneyFields<K extends string>(
  name: K,
  cents: Cents | null,
): { [P in K | `${K}_cents`]: number | null } {
  return (cents === null ? { [name]: null, [`${name}_cents`]: null } : moneyFields(name, cents)) as {
    [P in K | `${K}_cents`]: number | null;
  };
}

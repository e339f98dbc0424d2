/** Money arrives as integer minor units with an ISO currency; dates as ISO timestamps. Both are shown in the
 * reader's locale. */
const locale = typeof navigator === 'undefined' ? undefined : navigator.languages?.[0];

/** How many minor units a currency's major unit has, as a power of ten (2 for USD, 0 for JPY). */
export function fractionDigits(currency: string | null | undefined): number {
  const code = (currency ?? 'usd').toUpperCase();
  return (
    new Intl.NumberFormat(locale, { style: 'currency', currency: code }).resolvedOptions()
      .maximumFractionDigits ?? 2
  );
}

export function money(cents: number, currency: string | null | undefined): string {
  const code = (currency ?? 'usd').toUpperCase();
  return new Intl.NumberFormat(locale, { style: 'currency', currency: code }).format(
    cents / 10 ** fractionDigits(code),
  );
}

export function date(iso: string | null | undefined): string {
  if (!iso) return '—';
  return new Intl.DateTimeFormat(locale, { dateStyle: 'medium' }).format(new Date(iso));
}

export function dateTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  return new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'short' }).format(new Date(iso));
}

export function count(n: number): string {
  return new Intl.NumberFormat(locale).format(n);
}

/** Whole days from now until `iso`, never negative. */
export function daysUntil(iso: string, now = Date.now()): number {
  return Math.max(0, Math.ceil((Date.parse(iso) - now) / 86_400_000));
}

/** What a yearly price saves against twelve monthly ones, in whole percent. */
export function yearlySaving(monthlyCents: number, yearlyCents: number | null): number | null {
  if (yearlyCents === null || monthlyCents <= 0) return null;
  const saving = 1 - yearlyCents / (monthlyCents * 12);
  return saving > 0 ? Math.round(saving * 100) : null;
}

/** The days or months a revenue chart is cut into. */
export type PeriodInterval = 'day' | 'month';

export interface Period {
  /** `YYYY-MM-DD` for a day, `YYYY-MM` for a month: labels sort as their periods do. */
  period: string;
  start: Date;
  end: Date;
}

/** The most periods one chart may ask for: beyond these the figures cost more than a chart is worth. */
export const MAX_BUCKETS = { day: 400, month: 120 } as const;

const DAY_MS = 86_400_000;

/** The periods from `from` to `to` (`YYYY-MM-DD`, inclusive); stops one past the limit, so a range of centuries costs nothing. */
export function periodsBetween(from: string, to: string, interval: PeriodInterval): Period[] {
  const out: Period[] = [];
  const first = new Date(`${from}T00:00:00Z`);
  const last = new Date(`${to}T00:00:00Z`);
  let cur = interval === 'day' ? first : new Date(Date.UTC(first.getUTCFullYear(), first.getUTCMonth(), 1));
  while (cur <= last && out.length <= MAX_BUCKETS[interval]) {
    const next =
      interval === 'day'
        ? new Date(cur.getTime() + DAY_MS)
        : new Date(Date.UTC(cur.getUTCFullYear(), cur.getUTCMonth() + 1, 1));
    out.push({ period: cur.toISOString().slice(0, interval === 'day' ? 10 : 7), start: cur, end: next });
    cur = next;
  }
  return out;
}

/** What is wrong with a range's end (`to`), or null: it is before `from`, or spans more than MAX_BUCKETS. */
export function rangeProblem(range: { from: string; to: string; interval: PeriodInterval }): string | null {
  const count = periodsBetween(range.from, range.to, range.interval).length;
  if (count === 0) return 'must not be before from';
  if (count > MAX_BUCKETS[range.interval]) {
    return `at most ${MAX_BUCKETS[range.interval]} ${range.interval}s per request`;
  }
  return null;
}

/** 30 days, or 12 months, up to today unless the range says otherwise. */
export function defaultRange(
  q: { from?: string; to?: string; interval: PeriodInterval },
  now: Date,
): { from: string; to: string } {
  const to = q.to ?? now.toISOString().slice(0, 10);
  if (q.from) return { from: q.from, to };
  const end = new Date(`${to}T00:00:00Z`);
  const from =
    q.interval === 'day'
      ? new Date(end.getTime() - 29 * DAY_MS)
      : new Date(Date.UTC(end.getUTCFullYear(), end.getUTCMonth() - 11, 1));
  return { from: from.toISOString().slice(0, 10), to };
}

/** Parses `YYYY-MM` into the month's first instant and the next month's; null when it is no month. */
export function monthBounds(month: string): { start: Date; end: Date } | null {
  const m = /^(\d{4})-(\d{2})$/.exec(month);
  const year = Number(m?.[1]);
  const mon = Number(m?.[2]);
  if (!m || mon < 1 || mon > 12) return null;
  return { start: new Date(Date.UTC(year, mon - 1, 1)), end: new Date(Date.UTC(year, mon, 1)) };
}

export const monthOf = (d: Date) => d.toISOString().slice(0, 7);

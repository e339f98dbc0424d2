import type { EntityManager } from '@mikro-orm/core';
import { perDatabase } from '../../db/per-database';
import {
  periodCounters,
  periodCountersAndUnitsBeforeStart,
  type PeriodUnitsRow,
} from '../../db/period-usage-counters';
import { sqlFor } from '../../db/raw-sql';
import { utcDay } from '../../domain/usage';
import { countersFor } from '../../db/usage-counters';

/**
 * A billing period's units, read from the daily counters in time that does not grow with the events.
 * Periods rarely start at midnight, so the period is every whole day's counter from the day it starts on,
 * less the units of that day stored before the start. Those units are final once the period has begun:
 * report_usage refuses an event from before the open period's start. The one exception is a report
 * accepted under the previous period by a process whose memo of the subscription (two seconds) had not yet
 * seen the new start, so this process trusts its own count of them only once SETTLE_MS have passed since it
 * first saw that start, and keeps it from then on (read again every REREAD_MS, in case). Until then, while
 * the counters show nothing at all on the start day, nothing can have been stored before the start (an
 * event and its counter commit together), so the events are not read: a new customer's first period, and
 * any that starts on a day without usage, reads the counters only from its first minute.
 *
 * Before, the view summed the events from the start to the end of its day instead: on the day a
 * subscription started or renewed that was every event since, and a busy gateway customer's view slowed
 * with each call it reported.
 */
export const SETTLE_MS = 5 * 60_000;
const REREAD_MS = 60 * 60_000;
const MEMOS_PER_DATABASE = 50_000;

/** The units of one type: today's as the quota counts them, the period's counted and BYOK units. */
export interface TypeUnits {
  type: string;
  today: number;
  counted: number;
  byok: number;
}

/** Where the counters of a period starting at `start` begin, and whether part of that day comes before it. */
export function periodStartDay(start: Date): { day: string; midnight: Date; partDay: boolean } {
  const { day } = utcDay(start);
  const midnight = new Date(Date.parse(`${day}T00:00:00.000Z`));
  return { day, midnight, partDay: midnight.getTime() !== start.getTime() };
}

interface BeforeStart {
  firstSeenAt: number;
  /** When `rows` were read as final; null while they may still change. */
  settledAt: number | null;
  rows: PeriodUnitsRow[];
  /** The last read found no units at all on the start day, so none before the start either. */
  startDayEmpty: boolean;
}

const startDayUnits = (rows: PeriodUnitsRow[]) =>
  rows.reduce((n, r) => n + (r.part === 'days' ? Number(r.first_day_n ?? 0) : 0), 0);

const memoOf = perDatabase(() => new Map<string, BeforeStart>());

/** A customer's units per type for the period starting at `start`: one round trip (two the first time units land on an empty start day). */
export async function periodUsage(em: EntityManager, customerId: string, start: Date): Promise<TypeUnits[]> {
  const now = countersFor(em).now();
  const sql = sqlFor(em);
  const today = utcDay(new Date(now)).day;
  const first = periodStartDay(start);
  const days = { customerId, today, firstDay: first.day };
  const counters = () => periodCounters(sql, days);
  if (!first.partDay) return unitsOf(await counters());

  const memo = memoOf(em);
  const key = `${customerId}|${start.getTime()}`;
  let before = memo.get(key);
  if (before?.settledAt != null && now - before.settledAt < REREAD_MS) {
    return unitsOf([...(await counters()), ...before.rows]);
  }
  if (before?.startDayEmpty) {
    const counted = await counters();
    if (startDayUnits(counted) === 0) {
      settle(before, now, []);
      return unitsOf(counted);
    }
    // Units arrived on the start day since: read them with the events (which says whether to go on).
  }
  const rows = await periodCountersAndUnitsBeforeStart(sql, days, first.midnight, start);
  if (!before) {
    if (memo.size >= MEMOS_PER_DATABASE) memo.clear();
    memo.set(key, (before = { firstSeenAt: now, settledAt: null, rows: [], startDayEmpty: false }));
  }
  before.startDayEmpty = startDayUnits(rows) === 0;
  settle(
    before,
    now,
    rows.filter((r) => r.part === 'before'),
  );
  return unitsOf(rows);
}

/** Keeps the units before the start once they can no longer change. */
function settle(before: BeforeStart, now: number, rows: PeriodUnitsRow[]): void {
  if (now - before.firstSeenAt < SETTLE_MS) return;
  before.settledAt = now;
  before.rows = rows;
}

/** The counters' rows less the units before the period's start, per type. */
function unitsOf(rows: PeriodUnitsRow[]): TypeUnits[] {
  const byType = new Map<string, TypeUnits>();
  for (const r of rows) {
    let t = byType.get(r.type);
    if (!t) byType.set(r.type, (t = { type: r.type, today: 0, counted: 0, byok: 0 }));
    const sign = r.part === 'before' ? -1 : 1;
    t.today += Number(r.today_n ?? 0);
    t.counted += sign * Number(r.n ?? 0);
    t.byok += sign * Number(r.byok_n ?? 0);
  }
  return [...byType.values()];
}

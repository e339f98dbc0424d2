import type { Emulator } from '../emulator';
import type { MeterRec } from '../types';

/** A meter's aggregate for one customer over [start, end), by the meter's formula. */
export function meterUsage(
  emu: Emulator,
  meter: MeterRec,
  customer: string,
  start: number,
  end: number,
): number {
  const events = emu.store.meterEvents.filter(
    (e) =>
      e.event_name === meter.event_name &&
      e._customer === customer &&
      e.timestamp >= start &&
      e.timestamp < end,
  );
  const formula = meter.default_aggregation.formula;
  if (formula === 'count') return events.length;
  if (formula === 'last') {
    const last = [...events].sort((a, b) => a.timestamp - b.timestamp || a.created - b.created).pop();
    return last?._value ?? 0;
  }
  return events.reduce((sum, e) => sum + e._value, 0);
}

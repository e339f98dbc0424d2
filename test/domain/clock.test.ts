import { clockOf, fixedClock, systemClock } from '../../domain/clock';

describe('the clock services and activities read the time from', () => {
  it('is the system clock when none is given', () => {
    expect(clockOf({})).toBe(systemClock);
    expect(clockOf({ clock: null })).toBe(systemClock);
    const before = Date.now();
    const now = systemClock.now().getTime();
    expect(now).toBeGreaterThanOrEqual(before);
    expect(now).toBeLessThanOrEqual(Date.now());
  });

  it('is the given clock, which a test can set and whose answers cannot move it', () => {
    const clock = fixedClock(new Date('2026-11-25T12:00:00Z'));
    expect(clockOf({ clock })).toBe(clock);
    const seen = clock.now();
    seen.setUTCFullYear(1999);
    expect(clock.now().toISOString()).toBe('2026-11-25T12:00:00.000Z');
    clock.set(new Date('2026-12-01T00:00:00Z'));
    expect(clock.now().toISOString()).toBe('2026-12-01T00:00:00.000Z');
  });
});

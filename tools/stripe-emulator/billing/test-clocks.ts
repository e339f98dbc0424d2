import type { Emulator } from '../emulator';
import { newId } from '../ids';
import type { TestClockRec } from '../types';

export function createTestClock(emu: Emulator, frozenTime: number, name: string | null): TestClockRec {
  const now = emu.realNow();
  return emu.store.put<TestClockRec>({
    id: newId('clock', 24),
    object: 'test_helpers.test_clock',
    created: now,
    deletes_after: now + 30 * 86_400,
    frozen_time: frozenTime,
    livemode: false,
    name,
    status: 'ready',
    status_details: {},
  });
}

/**
 * The clock a new customer lives on: the one asked for, or, with `autoTestClock`, a clock of its own set
 * to now, so renewals and dunning can be tried in development by advancing it (`npm run stripe:advance`).
 */
export function clockForNewCustomer(
  emu: Emulator,
  requested: string | null,
  email: string | null,
): string | null {
  if (requested || !emu.autoTestClock) return requested;
  const clock = createTestClock(emu, emu.realNow(), `auto: ${email ?? 'customer'}`);
  emu.emit('test_helpers.test_clock.created', clock, undefined, emu.realNow());
  return clock.id;
}

import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import {
  REQUIRED_STRIPE_EVENTS,
  RECOMMENDED_STRIPE_EVENTS,
} from '../../../services/setup/verify-integration';
import { isIgnoredEventType } from '../../../services/stripe-events/route';
import { STRIPE_EVENTS_ACTED_ON } from '../../../services/stripe-events/subscribed-events';

/** Every event type the repo's Stripe emulator can send, read from its `emit('…')` calls. */
function emulatorEventTypes(): string[] {
  const types = new Set<string>();
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (name.endsWith('.ts'))
        for (const m of readFileSync(path, 'utf8').matchAll(/emit\(\s*'([a-z_.]+)'/g))
          types.add(m[1] as string);
    }
  };
  walk(join(__dirname, '../../../tools/stripe-emulator'));
  return [...types].sort();
}

describe('the Stripe events the engine subscribes to', () => {
  const actedOn = new Set<string>(STRIPE_EVENTS_ACTED_ON);

  it('lists only events the engine acts on, each once', () => {
    expect(STRIPE_EVENTS_ACTED_ON.filter((t) => isIgnoredEventType(t))).toEqual([]);
    expect(actedOn.size).toBe(STRIPE_EVENTS_ACTED_ON.length);
  });

  it('lists every event the emulator sends that the engine does not ignore, so an endpoint limited to it loses nothing', () => {
    const sent = emulatorEventTypes();
    // The scan finds the emulator's events (a renewal's among them), not nothing.
    expect(sent).toEqual(expect.arrayContaining(['invoice.paid', 'payment_intent.succeeded']));
    expect(sent.filter((t) => !isIgnoredEventType(t) && !actedOn.has(t))).toEqual([]);
  });

  it('takes in what verify requires and recommends', () => {
    expect([...REQUIRED_STRIPE_EVENTS, ...RECOMMENDED_STRIPE_EVENTS].filter((t) => !actedOn.has(t))).toEqual(
      [],
    );
  });
});

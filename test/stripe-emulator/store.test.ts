import fc from 'fast-check';
import { Store } from '../../tools/stripe-emulator/store';
import type { BaseRec } from '../../tools/stripe-emulator/types';

type Rec = BaseRec & { owner: string | null };

const op = fc.oneof(
  fc.record({
    kind: fc.constant('put' as const),
    id: fc.integer({ min: 0, max: 7 }),
    object: fc.constantFrom('customer', 'subscription'),
    owner: fc.constantFrom('a', 'b', null),
    created: fc.integer({ min: 0, max: 3 }),
  }),
  fc.record({ kind: fc.constant('remove' as const), id: fc.integer({ min: 0, max: 7 }) }),
  fc.record({
    kind: fc.constant('where' as const),
    object: fc.constantFrom('customer', 'subscription'),
    owner: fc.constantFrom('a', 'b', null, 'nobody'),
  }),
);

describe('the Stripe emulator store', () => {
  it("answers a lookup by field as a walk of the type's whole list would, through adds, replacements and removals", () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 60 }), (ops) => {
        const store = new Store();
        for (const o of ops) {
          if (o.kind === 'put') {
            // A new object under an id already taken replaces that record, as a re-created one would.
            const rec: Rec = { id: `x_${o.id}`, object: o.object, created: o.created, owner: o.owner };
            store.put(rec);
          } else if (o.kind === 'remove') {
            store.remove(`x_${o.id}`);
          } else {
            const walked = store.all<Rec>(o.object).filter((r) => r.owner === o.owner);
            expect(store.where<Rec>(o.object, 'owner', o.owner)).toEqual(walked);
          }
        }
      }),
      { numRuns: 300 },
    );
  });

  it('lists records gathered from several lookups in the order of the whole list', () => {
    const store = new Store();
    [3, 1, 3, 2].forEach((created, i) =>
      store.put<Rec>({ id: `x_${i}`, object: 'subscription', created, owner: i % 2 ? 'a' : 'b' }),
    );
    const gathered = [
      ...store.where<Rec>('subscription', 'owner', 'a'),
      ...store.where<Rec>('subscription', 'owner', 'b'),
    ];
    expect(store.newestFirst(gathered).map((r) => r.id)).toEqual(
      store.all<Rec>('subscription').map((r) => r.id),
    );
    expect(store.newestFirst(gathered).map((r) => r.id)).toEqual(['x_2', 'x_0', 'x_3', 'x_1']);
  });
});

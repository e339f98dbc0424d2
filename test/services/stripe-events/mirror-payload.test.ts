import fc from 'fast-check';
import pino from 'pino';
import Stripe from 'stripe';
import { Charge, Customer, Invoice, PaymentMethod } from '../../../db/entities';
import { markChargedCardDefault, upsertPaymentMethod } from '../../../db/mirror';
import { newId } from '../../../db/ids';
import type { Dialect } from '../../../db/orm';
import type { CoreDeps } from '../../../services/deps';
import { mirrorCardFromPayload, mirrorFromPayload } from '../../../services/stripe-events/mirror-payload';
import { cardPayloadMirrors, payloadMirrors } from '../../../services/stripe-events/route';
import { openTestDatabase } from '../../helpers/db';
import { recordPgMessages } from '../../helpers/pg-messages';

/** Values a careless or hostile sender could put where Stripe puts numbers and strings. */
const anyValue = fc.oneof(
  fc.integer({ min: -(2 ** 40), max: 2 ** 40 }),
  fc.double(),
  fc.constantFrom(0, 900, -1, 2 ** 31, Number.MAX_SAFE_INTEGER, null, '900', '\ud800', 'a\u0000b', [], {}),
  fc.string({ unit: 'binary' }),
  fc.constant(undefined),
);

/** Mostly a plausible amount, sometimes anything: enough payloads pass the route to test the write. */
const amount = fc.oneof(
  { weight: 5, arbitrary: fc.integer({ min: 0, max: 10_000_000 }) },
  { weight: 1, arbitrary: anyValue },
);

/** Mostly what Stripe sends, sometimes anything: enough payloads pass the route to test the write. */
const mostly = <T>(valid: T) =>
  fc.oneof({ weight: 4, arbitrary: fc.constant(valid) }, { weight: 1, arbitrary: anyValue });

describe.each<Dialect>(['sqlite', 'postgresql'])('mirroring from the payload on %s', (dialect) => {
  let db: Awaited<ReturnType<typeof openTestDatabase>>;
  let deps: CoreDeps;
  let stripeCustomerId: string;

  beforeAll(async () => {
    db = await openTestDatabase(dialect);
    deps = { orm: db.orm, logger: pino({ level: 'silent' }) } as unknown as CoreDeps;
    const em = db.orm.em.fork();
    const id = newId('cust');
    stripeCustomerId = `cus_${id}`;
    em.create(Customer, { id, userId: `kc-${id}`, email: `${id}@example.com`, stripeCustomerId });
    await em.flush();
  });
  afterAll(() => db?.close());

  /**
   * Feeds generated payloads through the route and the write: a payload the route accepts is written exactly
   * (`check`) or not at all (`read` finds nothing), and both sides of the route are tried.
   */
  async function fuzz<F>(
    fields: fc.Arbitrary<F>,
    type: string,
    object: (id: string, f: F) => Record<string, unknown>,
    read: (id: string) => Promise<unknown>,
    check: (row: unknown, f: F) => void,
  ) {
    let n = 0;
    let mirrored = 0;
    let refused = 0;
    await fc.assert(
      fc.asyncProperty(fields, async (f) => {
        const id = `fuzz_${dialect}_${n++}`;
        const event = {
          id: `evt_${id}`,
          object: 'event',
          type,
          api_version: Stripe.API_VERSION,
          created: 1_790_000_000,
          data: { object: { customer: stripeCustomerId, created: 1_790_000_000, ...object(id, f) } },
        } as unknown as Stripe.Event;
        // The intake only mirrors payloads the route accepts; the rest go to the object's run.
        if (!payloadMirrors(event)) {
          refused++;
          return;
        }
        const written = await mirrorFromPayload(deps, event);
        const row = await read(id);
        if (!written) {
          expect(row).toBeNull();
          return;
        }
        mirrored++;
        check(row, f);
      }),
      { numRuns: 60 },
    );
    expect(mirrored).toBeGreaterThan(0);
    expect(refused).toBeGreaterThan(0);
  }

  /** A column keeps −0, a whole number the route accepts, as 0. */
  const stored = (v: unknown) => (v === 0 ? 0 : v);

  /** A customer of its own for a test's cards, its Stripe id `cus_<id>`. */
  async function customerNamed(id: string): Promise<Customer> {
    const em = db.orm.em.fork();
    const customer = em.create(Customer, {
      id: newId('cust'),
      userId: `kc-${id}`,
      email: `${id}@example.com`,
      stripeCustomerId: `cus_${id}`,
    });
    await em.flush();
    return customer;
  }

  /** Stripe's payment_method.attached for card `pm` of customer `cus_<id>`, with the payload's fields. */
  const attachedEvent = (id: string, pm: string, fields: Record<string, unknown>) =>
    ({
      id: `evt_${pm}`,
      type: 'payment_method.attached',
      api_version: Stripe.API_VERSION,
      data: {
        object: {
          id: pm,
          object: 'payment_method',
          customer: `cus_${id}`,
          created: 1_790_000_000,
          ...fields,
        },
      },
    }) as unknown as Stripe.Event;

  it('writes exactly an invoice payload, or nothing, whatever its fields hold, and never throws', async () => {
    await fuzz(
      fc.record({
        status: fc.oneof(
          { weight: 4, arbitrary: fc.constantFrom('draft', 'open', 'paid', 'void', 'uncollectible') },
          { weight: 1, arbitrary: anyValue },
        ),
        number: mostly('N-1'),
        hosted_invoice_url: mostly('https://pay.example/1'),
        currency: mostly('usd'),
        subtotal: amount,
        total: amount,
        amount_due: amount,
        amount_paid: amount,
        attempt_count: amount,
      }),
      'invoice.finalized',
      (id, fields) => ({ id: `in_${id}`, object: 'invoice', ...fields }),
      (id) => db.orm.em.fork().findOne(Invoice, { stripeInvoiceId: `in_${id}` }),
      (row, fields) =>
        expect(row).toMatchObject({
          subtotalCents: stored(fields.subtotal),
          totalCents: stored(fields.total),
          amountDueCents: stored(fields.amount_due),
          amountPaidCents: stored(fields.amount_paid),
          attemptCount: stored(fields.attempt_count),
          status: fields.status,
          currency: fields.currency,
        }),
    );
  });

  it('writes exactly a charge payload, or nothing, whatever its fields hold, and never throws', async () => {
    await fuzz(
      fc.record({
        status: mostly('succeeded'),
        currency: mostly('usd'),
        description: mostly('Subscription update'),
        failure_code: mostly(null),
        amount: amount,
        amount_refunded: mostly(0),
        disputed: mostly(false),
        paid: mostly(true),
        card: fc.record({ brand: mostly('visa'), last4: mostly('4242') }),
      }),
      'charge.succeeded',
      (id, { card, ...fields }) => ({
        id: `ch_${id}`,
        object: 'charge',
        refunded: false,
        payment_method_details: { type: 'card', card },
        ...fields,
      }),
      (id) => db.orm.em.fork().findOne(Charge, { stripeChargeId: `ch_${id}` }),
      (row, fields) =>
        expect(row).toMatchObject({
          amountCents: stored(fields.amount),
          amountRefundedCents: 0,
          status: fields.status,
          currency: fields.currency,
        }),
    );
  });

  it("writes a customer's first card exactly as its payload has it, whatever its fields hold, and no card after it", async () => {
    let n = 0;
    let mirrored = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          type: mostly('card'),
          brand: mostly('visa'),
          last4: mostly('4242'),
          fingerprint: mostly('Xt5EWLLDS7FJjR1c'),
          exp_month: mostly(12),
          exp_year: mostly(2031),
        }),
        async ({ type, ...card }) => {
          const id = `card_${dialect}_${n++}`;
          const customer = await customerNamed(id);
          const attached = (pm: string, fields: Record<string, unknown>) => attachedEvent(id, pm, fields);
          const event = attached(`pm_${id}`, { type, card });
          if (!cardPayloadMirrors(event)) return;
          expect(await mirrorCardFromPayload(deps, event, customer.id)).toBe(true);
          mirrored++;
          const row = await db.orm.em
            .fork()
            .findOneOrFail(PaymentMethod, { stripePaymentMethodId: `pm_${id}` });
          expect(row).toMatchObject({
            type,
            brand: card.brand ?? null,
            last4: card.last4 ?? null,
            fingerprint: card.fingerprint ?? null,
            expMonth: stored(card.exp_month) ?? null,
            expYear: stored(card.exp_year) ?? null,
            isDefault: false,
            detachedAt: null,
          });
          // Its second card, and the same card told again, are left to a read of Stripe.
          expect(
            await mirrorCardFromPayload(deps, attached(`pm_${id}_2`, { type: 'card' }), customer.id),
          ).toBe(false);
          expect(await mirrorCardFromPayload(deps, event, customer.id)).toBe(false);
          expect(await db.orm.em.fork().count(PaymentMethod, { customer: customer.id })).toBe(1);
          // The card a live subscription is charged with is the default, unless another card already is.
          await markChargedCardDefault(db.orm.em.fork(), customer.id, `pm_${id}`);
          const other = db.orm.em.fork();
          other.create(PaymentMethod, {
            id: newId('pmt'),
            stripePaymentMethodId: `pm_${id}_2`,
            customer: other.getReference(Customer, customer.id),
            createdAt: new Date(),
          });
          await other.flush();
          await markChargedCardDefault(db.orm.em.fork(), customer.id, `pm_${id}_2`);
          const marked = await db.orm.em
            .fork()
            .find(PaymentMethod, { customer: customer.id, isDefault: true });
          expect(marked.map((c) => c.stripePaymentMethodId)).toEqual([`pm_${id}`]);
        },
      ),
      { numRuns: 40 },
    );
    expect(mirrored).toBeGreaterThan(0);
  });

  it("writes one first card and marks one default when a customer's cards arrive at once", async () => {
    for (let round = 0; round < 5; round++) {
      const id = `race_${dialect}_${round}`;
      const customer = await customerNamed(id);
      const cards = Array.from({ length: 6 }, (_, i) => `pm_${id}_${i}`);
      const attached = (pm: string) => attachedEvent(id, pm, { type: 'card' });
      const written = await Promise.all(
        cards.map((pm) => mirrorCardFromPayload(deps, attached(pm), customer.id)),
      );
      expect(written.filter(Boolean)).toHaveLength(1);
      expect(await db.orm.em.fork().count(PaymentMethod, { customer: customer.id })).toBe(1);
      // Every card on file, none default; each of several subscriptions coming to life at once marks its own.
      const other = db.orm.em.fork();
      for (const pm of cards.filter((_, i) => !written[i]))
        other.create(PaymentMethod, {
          id: newId('pmt'),
          stripePaymentMethodId: pm,
          customer: other.getReference(Customer, customer.id),
          createdAt: new Date(),
        });
      await other.flush();
      await Promise.all(cards.map((pm) => markChargedCardDefault(db.orm.em.fork(), customer.id, pm)));
      expect(await db.orm.em.fork().count(PaymentMethod, { customer: customer.id, isDefault: true })).toBe(1);
    }
  });

  if (dialect === 'postgresql')
    it("writes a sign-up's first card and marks it default in two round trips each, BEGIN and COMMIT riding along", async () => {
      const id = `trips_${dialect}`;
      const customer = await customerNamed(id);
      const recorder = recordPgMessages(db.orm);
      const trips = async (write: () => Promise<unknown>) => {
        recorder.clear();
        await write();
        const sent = [...recorder.messages];
        // The customer's cards locked in the first message, the read after it (a prepared lock's EXECUTE).
        expect(sent[0]).toMatch(/^begin;\n.*'cards:cust_.*\nselect /s);
        return sent;
      };
      try {
        const attached = attachedEvent(id, `pm_${id}`, { type: 'card' });
        const first = await trips(() => mirrorCardFromPayload(deps, attached, customer.id));
        expect(first).toHaveLength(2);
        expect(first[1]).toMatch(/^insert into payment_methods\s.*;\ncommit$/s);
        const marked = await trips(() => markChargedCardDefault(db.orm.em.fork(), customer.id, `pm_${id}`));
        expect(marked).toHaveLength(2);
        expect(marked[1]).toMatch(/^update payment_methods set is_default .*;\ncommit$/s);
        // Told again: nothing to write, so COMMIT goes alone.
        expect(await trips(() => mirrorCardFromPayload(deps, attached, customer.id))).toEqual([
          expect.any(String),
          'commit',
        ]);
      } finally {
        recorder.restore();
      }
      const cards = await db.orm.em.fork().find(PaymentMethod, { customer: customer.id });
      expect(cards.map((c) => [c.stripePaymentMethodId, c.isDefault])).toEqual([[`pm_${id}`, true]]);
    });

  it('keeps the card a customer made default when subscriptions coming to life at that moment mark theirs', async () => {
    for (let round = 0; round < 5; round++) {
      const id = `chosen_${dialect}_${round}`;
      const customer = await customerNamed(id);
      const cards = Array.from({ length: 6 }, (_, i) => `pm_${id}_${i}`);
      const em = db.orm.em.fork();
      for (const pm of cards)
        em.create(PaymentMethod, {
          id: newId('pmt'),
          stripePaymentMethodId: pm,
          customer: em.getReference(Customer, customer.id),
          createdAt: new Date(),
        });
      await em.flush();
      const chosen = cards[round % cards.length]!;
      const mine = db.orm.em.fork();
      const owner = await mine.findOneOrFail(Customer, customer.id);
      const card = { id: chosen, type: 'card', created: 1_790_000_000 } as unknown as Stripe.PaymentMethod;
      await Promise.all([
        upsertPaymentMethod(mine, owner, card, true),
        ...cards
          .filter((pm) => pm !== chosen)
          .map((pm) => markChargedCardDefault(db.orm.em.fork(), customer.id, pm)),
      ]);
      const defaults = await db.orm.em.fork().find(PaymentMethod, { customer: customer.id, isDefault: true });
      expect(defaults.map((d) => d.stripePaymentMethodId)).toEqual([chosen]);
    }
  });
});

import { MockActivityEnvironment } from '@temporalio/testing';
import Stripe from 'stripe';
import { createActivities } from '../../activities';
import { createLogger } from '../../config/logger';
import { Customer, PaymentMethod } from '../../db/entities';
import { newId } from '../../db/ids';
import { lockCustomerCards } from '../../db/mirror/payment-methods';
import { sqlFor } from '../../db/raw-sql';
import type { Dialect } from '../../db/orm';
import { EMULATOR_KEY } from '../../integrations/stripe/client';
import { startStripeEmulator, type StripeEmulator } from '../../tools/stripe-emulator';
import { openTestDatabase } from '../helpers/db';

/**
 * A Stripe client whose next list of a customer's cards, once `hold` is called, is answered by Stripe at
 * once but handed to the engine only when the returned release is called: a read of Stripe that lands
 * in the mirror after later changes.
 */
function clientWithHeldCardList(url: string) {
  const http = Stripe.createNodeHttpClient();
  let held: { reached(): void; released: Promise<void> } | null = null;
  const makeRequest: typeof http.makeRequest = async (...args) => {
    const res = await http.makeRequest(...args);
    const [, , path, method] = args;
    const gate = held;
    if (gate && method === 'GET' && path.startsWith('/v1/payment_methods?')) {
      held = null;
      gate.reached();
      await gate.released;
    }
    return res;
  };
  const base = new URL(url);
  const stripe = new Stripe(EMULATOR_KEY, {
    host: base.hostname,
    port: Number(base.port),
    protocol: 'http',
    maxNetworkRetries: 0,
    httpClient: Object.assign(Object.create(http) as typeof http, { makeRequest }),
  });
  /** Holds the next card list; resolves `read` once Stripe has answered it. */
  function hold() {
    let release!: () => void;
    let reached!: () => void;
    const read = new Promise<void>((r) => (reached = r));
    held = { reached, released: new Promise<void>((r) => (release = r)) };
    return { read, release };
  }
  return { stripe, hold };
}

describe.each<Dialect>(['sqlite', 'postgresql'])('reading a customer’s cards on %s', (dialect) => {
  let emulator: StripeEmulator;
  let db: Awaited<ReturnType<typeof openTestDatabase>>;

  beforeAll(async () => {
    [emulator, db] = await Promise.all([startStripeEmulator({ port: 0 }), openTestDatabase(dialect)]);
  });
  afterAll(async () => {
    await emulator?.stop();
    await db?.close();
  });

  /** A customer with two cards in Stripe and the mirror, the first paying. */
  async function customerWithTwoCards(stripe: Stripe) {
    const sc = await stripe.customers.create({ email: `cards-${dialect}@example.com` });
    const first = await stripe.paymentMethods.attach('pm_card_visa', { customer: sc.id });
    const second = await stripe.paymentMethods.attach('pm_card_mastercard', { customer: sc.id });
    await stripe.customers.update(sc.id, { invoice_settings: { default_payment_method: first.id } });
    const em = db.orm.em.fork();
    const customerId = newId('cust');
    em.create(Customer, {
      id: customerId,
      userId: `kc-${customerId}`,
      email: `${customerId}@example.com`,
      stripeCustomerId: sc.id,
    });
    await em.flush();
    return { customerId, stripeCustomerId: sc.id, first: first.id, second: second.id };
  }

  /** The activities on a client whose card list can be held, and a customer whose two cards are mirrored. */
  async function mirroredCustomer() {
    const { stripe, hold } = clientWithHeldCardList(emulator.url);
    const acts = createActivities({ orm: db.orm, logger: createLogger('silent', 'test'), stripe });
    const env = new MockActivityEnvironment();
    const c = await customerWithTwoCards(stripe);
    await env.run(acts.syncPaymentMethods, c.customerId);
    return { stripe, hold, acts, env, c };
  }

  async function payingCard(customerId: string): Promise<string[]> {
    const rows = await db.orm.em
      .fork()
      .find(PaymentMethod, { customer: customerId, detachedAt: null, isDefault: true });
    return rows.map((r) => r.stripePaymentMethodId);
  }

  it('keeps the card the customer made default while an older read of their cards was in flight', async () => {
    const { stripe, hold, acts, env, c } = await mirroredCustomer();
    expect(await payingCard(c.customerId)).toEqual([c.first]);

    // A card event's read of Stripe, answered while the first card still pays, reaches the mirror late...
    const gate = hold();
    const sync = env.run(acts.syncPaymentMethods, c.customerId);
    await gate.read;
    // ...after the customer made the second card the one that pays, in Stripe and then in the mirror.
    await env.run(acts.setDefaultPaymentMethod, {
      customerId: c.customerId,
      paymentMethodId: c.second,
      requestId: newId('req'),
    });
    gate.release();
    await expect(sync).resolves.toEqual({ cards: 2 });

    const inStripe = (await stripe.customers.retrieve(c.stripeCustomerId)) as Stripe.Customer;
    expect(inStripe.invoice_settings.default_payment_method).toBe(c.second);
    expect(await payingCard(c.customerId)).toEqual([c.second]);
  });

  it('leaves the later choice paying when an earlier choice of card is retried after it', async () => {
    const { stripe, acts, env, c } = await mirroredCustomer();
    const first = { customerId: c.customerId, paymentMethodId: c.second, requestId: newId('req') };
    await env.run(acts.setDefaultPaymentMethod, first);
    await env.run(acts.setDefaultPaymentMethod, {
      customerId: c.customerId,
      paymentMethodId: c.first,
      requestId: newId('req'),
    });
    // The first request's activity again, as Temporal retries it after its mirror write failed: its Stripe
    // calls replay their first answers and change nothing there.
    await expect(env.run(acts.setDefaultPaymentMethod, first)).resolves.toMatchObject({
      paymentMethodId: c.second,
      isDefault: false,
    });
    const inStripe = (await stripe.customers.retrieve(c.stripeCustomerId)) as Stripe.Customer;
    expect(inStripe.invoice_settings.default_payment_method).toBe(c.first);
    expect(await payingCard(c.customerId)).toEqual([c.first]);
  });

  it('writes a read of the cards whole, a card detached in Stripe marked removed', async () => {
    const { stripe, acts, env, c } = await mirroredCustomer();
    await stripe.customers.update(c.stripeCustomerId, {
      invoice_settings: { default_payment_method: c.second },
    });
    await stripe.paymentMethods.detach(c.first);

    await expect(env.run(acts.syncPaymentMethods, c.customerId)).resolves.toEqual({ cards: 1 });
    const rows = await db.orm.em
      .fork()
      .find(PaymentMethod, { customer: c.customerId }, { orderBy: { id: 'asc' } });
    const byCard = Object.fromEntries(
      rows.map((r) => [r.stripePaymentMethodId, { removed: r.detachedAt != null, pays: r.isDefault }]),
    );
    expect(byCard[c.first]?.removed).toBe(true);
    expect(byCard[c.second]).toEqual({ removed: false, pays: true });
  });

  it('keeps a removed card removed when a read of the cards from before its removal is being written', async () => {
    const { acts, env, c } = await mirroredCustomer();
    let removal: Promise<unknown> = Promise.resolve();
    await db.orm.em.fork().transactional(async (tx) => {
      const sql = sqlFor(tx);
      // A read of the cards taken while the second was on file is being written...
      await lockCustomerCards(sql, c.customerId);
      // ...as the customer removes that card: Stripe forgets it, then the mirror is told.
      removal = env.run(acts.detachPaymentMethod, { customerId: c.customerId, paymentMethodId: c.second });
      for (let i = 0; i < 200 && !(await removalWaits()); i++) await new Promise((r) => setTimeout(r, 25));
      await sql.run('update payment_methods set detached_at = null where stripe_payment_method_id = ?', [
        c.second,
      ]);
    });
    await removal;
    const rows = await db.orm.em.fork().find(PaymentMethod, { customer: c.customerId, detachedAt: null });
    expect(rows.map((r) => r.stripePaymentMethodId)).toEqual([c.first]);
  });

  /** Whether a transaction waits for a customer's cards (SQLite has one writer: the removal waits there). */
  async function removalWaits(): Promise<boolean> {
    if (dialect === 'sqlite') return true;
    const [row] = await sqlFor(db.orm.em.fork()).rows<{ n: number }>(
      `select count(*)::int as n from pg_locks
       where locktype = 'advisory' and not granted
         and database = (select oid from pg_database where datname = current_database())`,
    );
    return (row?.n ?? 0) > 0;
  }
});

import { Customer } from '../../db/entities';
import { newId } from '../../db/ids';
import type { Dialect } from '../../db/orm';
import { linkStripeCustomer, upsertCustomerRow } from '../../db/customer-records';
import { customerForStripe } from '../../db/customer-reads';
import { openTestDatabase } from '../helpers/db';

describe.each<Dialect>(['sqlite', 'postgresql'])("an identity's customer record on %s", (dialect) => {
  let db: Awaited<ReturnType<typeof openTestDatabase>>;
  beforeAll(async () => {
    db = await openTestDatabase(dialect);
  });
  afterAll(() => db?.close());

  const someone = () => {
    const userId = `kc-${newId('u').slice(-10)}`;
    return { userId, email: `${userId}@example.com` };
  };
  const stored = (userId: string) => db.orm.em.fork().findOneOrFail(Customer, { userId });

  it('makes the record once, then refreshes email, name and roles, leaving what a sign-in does not give', async () => {
    const who = someone();
    const before = Date.now();
    const first = await upsertCustomerRow(db.orm.em.fork(), { ...who, name: 'Ada', roles: ['viewer'] });
    const after = Date.now();
    expect(first).toMatchObject({ email: who.email, stripeCustomerId: null, created: true });
    expect(first.customerId).toMatch(/^cust_/);
    const made = await stored(who.userId);
    expect([made.id, made.name, made.roles, made.invoiceListVersion]).toEqual([
      first.customerId,
      'Ada',
      ['viewer'],
      0,
    ]);
    // Stamped as the entity stamped it: when it was made.
    expect(made.createdAt.getTime()).toBeGreaterThanOrEqual(before - 1);
    expect(made.createdAt.getTime()).toBeLessThanOrEqual(after + 1);

    const email = `new-${who.email}`;
    const again = await upsertCustomerRow(db.orm.em.fork(), { userId: who.userId, email });
    expect(again).toEqual({ customerId: first.customerId, email, stripeCustomerId: null, created: false });
    const kept = await stored(who.userId);
    expect([kept.email, kept.name, kept.roles, kept.createdAt.toISOString()]).toEqual([
      email,
      'Ada',
      ['viewer'],
      made.createdAt.toISOString(),
    ]);

    await upsertCustomerRow(db.orm.em.fork(), { userId: who.userId, email, name: null, roles: [] });
    const cleared = await stored(who.userId);
    expect([cleared.name, cleared.roles]).toEqual([null, []]);
  });

  it('answers two sign-ins at once with one record, made by one of them', async () => {
    const who = someone();
    const both = await Promise.all([
      upsertCustomerRow(db.orm.em.fork(), who),
      upsertCustomerRow(db.orm.em.fork(), who),
    ]);
    expect(both[0].customerId).toBe(both[1].customerId);
    expect(both.filter((r) => r.created)).toHaveLength(1);
    expect(await db.orm.em.fork().count(Customer, { userId: who.userId })).toBe(1);
  });

  it('refuses an email another user holds, and changes neither record', async () => {
    const holder = someone();
    const other = someone();
    await upsertCustomerRow(db.orm.em.fork(), holder);
    // better-sqlite3's error comes from outside jest's realm, so matched by its message, not as an Error.
    await expect(
      upsertCustomerRow(db.orm.em.fork(), { userId: other.userId, email: holder.email }),
    ).rejects.toMatchObject({ message: expect.stringMatching(/unique|duplicate/i) });
    expect(await db.orm.em.fork().count(Customer, { userId: other.userId })).toBe(0);
    expect((await stored(holder.userId)).email).toBe(holder.email);
  });

  it('reads what making its Stripe customer needs, and links the Stripe customer to it', async () => {
    const who = someone();
    const { customerId } = await upsertCustomerRow(db.orm.em.fork(), { ...who, name: 'Bo' });
    expect(await customerForStripe(db.orm.em.fork(), customerId)).toMatchObject({
      id: customerId,
      userId: who.userId,
      email: who.email,
      name: 'Bo',
      stripeCustomerId: null,
    });
    await linkStripeCustomer(db.orm.em.fork(), customerId, 'cus_linked');
    expect((await customerForStripe(db.orm.em.fork(), customerId))?.stripeCustomerId).toBe('cus_linked');
    expect(await customerForStripe(db.orm.em.fork(), 'cust_none')).toBeNull();
  });
});

import { customerIdOfRef } from '../../db/customer-reads';
import { Customer } from '../../db/entities';
import { sqlFor } from '../../db/raw-sql';
import { openTestDatabase } from '../helpers/db';

describe('the customer a gateway names', () => {
  let db: Awaited<ReturnType<typeof openTestDatabase>>;
  beforeAll(async () => {
    db = await openTestDatabase('sqlite');
  });
  afterAll(() => db?.close());

  async function customer(id: string, userId: string, email: string) {
    const em = db.orm.em.fork();
    em.create(Customer, { id, userId, email, stripeCustomerId: null, currency: null });
    await em.flush();
  }

  it('is found by user id or by our id, and one made after a miss is found at the next call', async () => {
    const em = db.orm.em.fork();
    expect(await customerIdOfRef(em, { userId: 'kc-late' })).toBeNull();
    await customer('cust_late', 'kc-late', 'late@example.com');
    expect(await customerIdOfRef(em, { userId: 'kc-late' })).toBe('cust_late');
    expect(await customerIdOfRef(em, { userId: 'cust_late' })).toBe('cust_late');
  });

  it('named by email follows the email when it moves to another customer', async () => {
    const em = db.orm.em.fork();
    await customer('cust_first', 'kc-first', 'moving@example.com');
    await customer('cust_second', 'kc-second', 'second@example.com');
    expect(await customerIdOfRef(em, { email: 'moving@example.com' })).toBe('cust_first');
    const sql = sqlFor(em);
    await sql.run(`update customers set email = ? where id = ?`, ['first-new@example.com', 'cust_first']);
    await sql.run(`update customers set email = ? where id = ?`, ['moving@example.com', 'cust_second']);
    expect(await customerIdOfRef(em, { email: 'moving@example.com' })).toBe('cust_second');
    // A user id names the same customer whatever their email.
    expect(await customerIdOfRef(em, { userId: 'kc-first' })).toBe('cust_first');
  });

  it('names no one for an unknown reference, a control character or a very long one', async () => {
    const em = db.orm.em.fork();
    for (const userId of ['kc-nobody', 'kc-\u0000x', 'x'.repeat(10_000), "' or 1=1 --"])
      expect(await customerIdOfRef(em, { userId })).toBeNull();
    expect(await customerIdOfRef(em, { email: "' or ''='" })).toBeNull();
  });
});

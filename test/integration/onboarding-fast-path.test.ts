import { Customer } from '../../db/entities';
import { startTestApi, type TestApi } from '../helpers/api';
import { startTestIdp, type TestIdp } from '../helpers/auth';
import { openTestDatabase } from '../helpers/db';

const CREATE = '/api/v1/stripe/create_customer';

/**
 * A sign-in (and a checkout, a card added) makes sure the caller has a customer record. When the record
 * already holds what the caller's identity says, it is the answer: nothing is written; when the identity
 * changes something, onboarding writes it. Neither needs Temporal: the API here has none to reach.
 */
describe.each(['sqlite', 'postgresql'] as const)('a customer who signs in again (%s)', (dialect) => {
  let idp: TestIdp;
  let db: Awaited<ReturnType<typeof openTestDatabase>>;
  let api: TestApi;

  beforeAll(async () => {
    [idp, db] = await Promise.all([startTestIdp(), openTestDatabase(dialect)]);
    api = await startTestApi({
      orm: db.orm,
      env: { OIDC_ISSUER: idp.issuer, OIDC_JWKS_URL: idp.jwksUrl },
    });
  });
  afterAll(async () => {
    await api?.stop();
    await Promise.all([db?.close(), idp?.stop()]);
  });

  /** When the row was last written: onboarding stamps it, an answer from the record does not. */
  const lastWrite = async (sub: string) =>
    (await db.orm.em.fork().findOneOrFail(Customer, { userId: sub })).updatedAt.getTime();
  const aMomentLater = () => new Promise((r) => setTimeout(r, 5));

  it('answers from the record when nothing changes, and writes the record when something does', async () => {
    const sub = `again-${dialect}`;
    const email = `${sub}@example.com`;
    const token = await idp.token({ sub, email, roles: ['viewer'] });

    const first = await api.request('POST', CREATE, { token, body: { name: 'Zoë' } });
    expect({ status: first.status, created: first.body.created }).toEqual({ status: 200, created: true });
    const firstWrite = await lastWrite(sub);
    await aMomentLater();

    const again = await api.request('POST', CREATE, { token, body: { name: 'Zoë' } });
    expect(again.body).toEqual({ ...first.body, created: false });
    expect(await lastWrite(sub)).toBe(firstWrite);

    await aMomentLater();
    const renamed = await api.request('POST', CREATE, { token, body: { name: 'Zoë Ödegaard' } });
    expect({ status: renamed.status, id: renamed.body.customer_id }).toEqual({
      status: 200,
      id: first.body.customer_id,
    });
    expect(await lastWrite(sub)).toBeGreaterThan(firstWrite);
    const row = await db.orm.em.fork().findOneOrFail(Customer, { userId: sub });
    expect({ name: row.name, roles: row.roles }).toEqual({ name: 'Zoë Ödegaard', roles: ['viewer'] });

    // New roles in the token are written too.
    const promoted = await idp.token({ sub, email, roles: ['viewer', 'admin'] });
    const renamedWrite = await lastWrite(sub);
    await aMomentLater();
    await api.request('POST', CREATE, { token: promoted, body: { name: 'Zoë Ödegaard' } });
    expect(await lastWrite(sub)).toBeGreaterThan(renamedWrite);
    const promotedRow = await db.orm.em.fork().findOneOrFail(Customer, { userId: sub });
    expect(promotedRow.roles).toEqual(['viewer', 'admin']);
  });
});

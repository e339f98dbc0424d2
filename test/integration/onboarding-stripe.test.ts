import type Stripe from 'stripe';
import { Customer } from '../../db/entities';
import { createStripeClient } from '../../integrations/stripe/client';
import { customerCreateKey } from '../../integrations/stripe/customer-of';
import { onboardCustomer } from '../../services/customers/onboard';
import { AppError } from '../../domain/errors';
import { startStripeEmulator, type StripeEmulator } from '../../tools/stripe-emulator';
import { startTestApi, type TestApi } from '../helpers/api';
import { startTestIdp, type TestIdp } from '../helpers/auth';
import { openTestDatabase } from '../helpers/db';

const CREATE = '/api/v1/stripe/create_customer';

/**
 * A first sign-in makes the customer's record and their Stripe customer in the request itself, with no
 * workflow run: the API here has no Temporal to reach. Two sign-ins at once, a Stripe that fails and a
 * value the database refuses each end with one record and at most one Stripe customer.
 */
describe.each(['sqlite', 'postgresql'] as const)('a first sign-in with Stripe configured (%s)', (dialect) => {
  let idp: TestIdp;
  let db: Awaited<ReturnType<typeof openTestDatabase>>;
  let emulator: StripeEmulator;
  let stripe: Stripe;
  let api: TestApi;

  beforeAll(async () => {
    [idp, db, emulator] = await Promise.all([
      startTestIdp(),
      openTestDatabase(dialect),
      startStripeEmulator({ port: 0 }),
    ]);
    stripe = createStripeClient({ apiBase: emulator.url })!;
    api = await startTestApi({
      orm: db.orm,
      env: { OIDC_ISSUER: idp.issuer, OIDC_JWKS_URL: idp.jwksUrl, STRIPE_API_BASE: emulator.url },
    });
  });
  afterAll(async () => {
    await api?.stop();
    await Promise.all([db?.close(), idp?.stop(), emulator?.stop()]);
  });
  afterEach(() => emulator.clearFaults());

  const stripeCustomersOf = async (email: string) =>
    (await stripe.customers.list({ email, limit: 100 })).data;
  const creates = () => emulator.requests().filter((r) => r.method === 'POST' && r.path === '/v1/customers');

  it('makes the record and one Stripe customer carrying its id, and a second sign-in makes neither again', async () => {
    const sub = `first-${dialect}`;
    const token = await idp.token({ sub, email: `${sub}@example.com` });

    const first = await api.request('POST', CREATE, { token, body: { name: 'Zoë' } });
    const again = await api.request('POST', CREATE, { token, body: { name: 'Zoë' } });

    const row = await db.orm.em.fork().findOneOrFail(Customer, { userId: sub });
    expect(first.body).toEqual({
      customer_id: row.id,
      stripe_customer_id: row.stripeCustomerId,
      email: `${sub}@example.com`,
      created: true,
    });
    expect(again.body).toEqual({ ...first.body, created: false });
    const inStripe = await stripeCustomersOf(`${sub}@example.com`);
    expect(inStripe.map((c) => ({ id: c.id, name: c.name, metadata: c.metadata }))).toEqual([
      { id: row.stripeCustomerId, name: 'Zoë', metadata: { customer_id: row.id, user_id: sub } },
    ]);
  });

  it('answers sign-ins at once with one record and one Stripe customer', async () => {
    const sub = `together-${dialect}`;
    const token = await idp.token({ sub, email: `${sub}@example.com` });

    const answers = await Promise.all(
      Array.from({ length: 8 }, () => api.request('POST', CREATE, { token, body: {} })),
    );

    expect(answers.map((a) => a.status)).toEqual(Array(8).fill(200));
    expect(new Set(answers.map((a) => `${a.body.customer_id} ${a.body.stripe_customer_id}`)).size).toBe(1);
    expect(answers.filter((a) => a.body.created)).toHaveLength(1);
    expect(await db.orm.em.fork().count(Customer, { userId: sub })).toBe(1);
    const inStripe = await stripeCustomersOf(`${sub}@example.com`);
    expect(inStripe.map((c) => c.id)).toEqual([answers[0]!.body.stripe_customer_id]);
  });

  it('rides out a Stripe error a retry mends, within the request', async () => {
    const sub = `blip-${dialect}`;
    const token = await idp.token({ sub, email: `${sub}@example.com` });
    emulator.injectFault({ method: 'POST', path: '/v1/customers', kind: 'error500', count: 1 });
    const before = creates().length;

    const res = await api.request('POST', CREATE, { token, body: {} });

    expect({ status: res.status, stripe: res.body.stripe_customer_id }).toEqual({
      status: 200,
      stripe: expect.stringMatching(/^cus_/),
    });
    expect(creates().length - before).toBe(2);
    expect((await stripeCustomersOf(`${sub}@example.com`)).map((c) => c.id)).toEqual([
      res.body.stripe_customer_id,
    ]);
  });

  it('answers 502 payment_provider_error when Stripe keeps failing, keeps the record, and the next sign-in finishes it once', async () => {
    const sub = `down-${dialect}`;
    const token = await idp.token({ sub, email: `${sub}@example.com` });
    emulator.injectFault({ method: 'POST', path: '/v1/customers', kind: 'error500', count: 3 });

    const failed = await api.request('POST', CREATE, { token, body: {} });

    expect({ status: failed.status, code: failed.body.error?.code }).toEqual({
      status: 502,
      code: 'payment_provider_error',
    });
    const kept = await db.orm.em.fork().findOneOrFail(Customer, { userId: sub });
    expect(kept.stripeCustomerId ?? null).toBeNull();
    expect(await stripeCustomersOf(`${sub}@example.com`)).toEqual([]);

    const later = await api.request('POST', CREATE, { token, body: {} });

    expect({ status: later.status, id: later.body.customer_id, created: later.body.created }).toEqual({
      status: 200,
      id: kept.id,
      created: false,
    });
    const inStripe = await stripeCustomersOf(`${sub}@example.com`);
    expect(inStripe.map((c) => c.id)).toEqual([later.body.stripe_customer_id]);
    const row = await db.orm.em.fork().findOneOrFail(Customer, { userId: sub });
    expect(row.stripeCustomerId).toBe(later.body.stripe_customer_id);
  });

  it('finds the customer a create whose answer was lost made, when the customer was renamed since', async () => {
    const sub = `renamed-${dialect}`;
    const email = `${sub}@example.com`;
    const token = await idp.token({ sub, email });
    emulator.injectFault({ method: 'POST', path: '/v1/customers', kind: 'error500', count: 3 });
    expect((await api.request('POST', CREATE, { token, body: { name: 'Before' } })).status).toBe(502);
    const row = await db.orm.em.fork().findOneOrFail(Customer, { userId: sub });
    // Stripe made it under the customer's key, but the engine never heard the answer.
    const made = await stripe.customers.create(
      { email, name: 'Before', metadata: { customer_id: row.id, user_id: sub } },
      { idempotencyKey: customerCreateKey(row.id) },
    );

    const res = await api.request('POST', CREATE, { token, body: { name: 'After' } });

    expect({ status: res.status, stripe: res.body.stripe_customer_id }).toEqual({
      status: 200,
      stripe: made.id,
    });
    expect((await stripeCustomersOf(email)).map((c) => c.id)).toEqual([made.id]);
  });

  it('answers 409 constraint_violation for an email another user holds, and makes no Stripe customer for it', async () => {
    const email = `held-${dialect}@example.com`;
    const owner = await idp.token({ sub: `holder-${dialect}`, email });
    expect((await api.request('POST', CREATE, { token: owner, body: {} })).status).toBe(200);
    const other = await idp.token({ sub: `taker-${dialect}`, email });
    const before = creates().length;

    const res = await api.request('POST', CREATE, { token: other, body: {} });

    expect({ status: res.status, code: res.body.error?.code }).toEqual({
      status: 409,
      code: 'constraint_violation',
    });
    expect(creates().length).toBe(before);
    expect((await stripeCustomersOf(email)).map((c) => c.metadata.user_id)).toEqual([`holder-${dialect}`]);
  });

  it('refuses a value the database cannot store as the class of the refusal, and calls Stripe for none', async () => {
    // PostgreSQL cannot carry a NUL; SQLite refuses a null email (its column is NOT NULL).
    const identity =
      dialect === 'postgresql'
        ? { userId: 'nul-postgresql', email: 'nul@example.com', name: '\u0000Ö' }
        : { userId: 'null-sqlite', email: null as unknown as string };
    const before = creates().length;

    const err = await onboardCustomer({ orm: db.orm, stripe }, identity).catch((e: unknown) => e);

    expect(err).toBeInstanceOf(AppError);
    expect({ kind: (err as AppError).kind, code: (err as AppError).code }).toEqual(
      dialect === 'postgresql'
        ? { kind: 'invalid', code: 'invalid_request' }
        : { kind: 'conflict', code: 'constraint_violation' },
    );
    expect(creates().length).toBe(before);
    expect(await db.orm.em.fork().count(Customer, { userId: identity.userId })).toBe(0);
  });
});

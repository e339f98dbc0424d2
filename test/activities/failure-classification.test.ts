import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import Stripe from 'stripe';
import { createActivities } from '../../activities';
import { classifyActivityError, RACE_ATTEMPTS } from '../../activities/failures';
import { createLogger } from '../../config/logger';
import { Customer } from '../../db/entities';
import { openTestDatabase } from '../helpers/db';

type Acts = ReturnType<typeof createActivities>;

/** The failure an activity call ends with, or 'resolved' when it did not fail. */
async function failureOf(call: Promise<unknown>): Promise<unknown> {
  return call.then(
    () => 'resolved',
    (err: unknown) => err,
  );
}

function expectNonRetryable(err: unknown, type: string) {
  expect(err).toBeInstanceOf(ApplicationFailure);
  expect({
    type: (err as ApplicationFailure).type,
    nonRetryable: (err as ApplicationFailure).nonRetryable,
  }).toEqual({ type, nonRetryable: true });
}

describe.each(['sqlite', 'postgresql'] as const)('database failures a retry cannot fix, on %s', (dialect) => {
  let db: Awaited<ReturnType<typeof openTestDatabase>>;
  let acts: Acts;

  beforeAll(async () => {
    db = await openTestDatabase(dialect);
    acts = createActivities({ orm: db.orm, logger: createLogger('silent', 'test') });
  });
  afterAll(() => db?.close());

  it('a customer without an email fails for good instead of being retried', async () => {
    const err = await failureOf(acts.upsertCustomer({ userId: 'u-null', email: null as unknown as string }));
    expect(err).toBeInstanceOf(ApplicationFailure);
    expect((err as ApplicationFailure).nonRetryable).toBe(true);
    expect(['ConstraintViolation', 'InvalidData']).toContain((err as ApplicationFailure).type);
    expect(await db.orm.em.fork().count(Customer, { userId: 'u-null' })).toBe(0);
  });

  it('an email another user holds is retried as a possible race, then fails for good', async () => {
    await acts.upsertCustomer({ userId: 'u-first', email: 'shared@example.com' });
    const input = { userId: 'u-second', email: 'shared@example.com' };

    const early = await failureOf(
      new MockActivityEnvironment({ attempt: 1 }).run(acts.upsertCustomer, input),
    );
    expect(early).not.toBeInstanceOf(ApplicationFailure);
    expect((early as Error).name).toBe('UniqueConstraintViolationException');

    const late = await failureOf(
      new MockActivityEnvironment({ attempt: RACE_ATTEMPTS }).run(acts.upsertCustomer, input),
    );
    expectNonRetryable(late, 'ConstraintViolation');
  });

  it('a concurrent onboarding of the same user still answers with the one row', async () => {
    const input = { userId: 'u-twice', email: 'twice@example.com' };
    const [a, b] = await Promise.all([acts.upsertCustomer(input), acts.upsertCustomer(input)]);
    expect(a.customerId).toBe(b.customerId);
    expect(await db.orm.em.fork().count(Customer, { userId: 'u-twice' })).toBe(1);
  });
});

describe('PostgreSQL refusing a value', () => {
  let db: Awaited<ReturnType<typeof openTestDatabase>>;
  let acts: Acts;

  beforeAll(async () => {
    db = await openTestDatabase('postgresql');
    acts = createActivities({ orm: db.orm, logger: createLogger('silent', 'test') });
  });
  afterAll(() => db?.close());

  it('a name with a NUL byte is invalid data, not retried, and nothing is stored', async () => {
    const err = await failureOf(
      new MockActivityEnvironment({ attempt: 1 }).run(acts.upsertCustomer, {
        userId: 'u-nul',
        email: 'nul@example.com',
        name: '\u0000Ö',
      }),
    );
    expectNonRetryable(err, 'InvalidData');
    expect(['22021', '08P01']).toContain(((err as ApplicationFailure).details as [{ code: string }])[0].code);
    expect(await db.orm.em.fork().count(Customer, { userId: 'u-nul' })).toBe(0);
  });

  it('an invalid byte sequence (22021) is invalid data, not retried', async () => {
    const err = await failureOf(
      db.orm.em.getConnection().execute(`select convert_from('\\x00'::bytea, 'UTF8')`),
    );
    expect((err as { code?: string }).code).toBe('22021');
    expectNonRetryable(classifyActivityError(err), 'InvalidData');
  });
});

describe('Stripe failures', () => {
  const stripeError = (statusCode: number, type = 'api_error') =>
    Stripe.errors.StripeError.generate({ type, message: `status ${statusCode}`, statusCode } as never);

  it.each([400, 404, 422])('a %i refuses the request for good', (status) => {
    const err = classifyActivityError(stripeError(status));
    expect(err).toBeInstanceOf(ApplicationFailure);
    expect((err as ApplicationFailure).nonRetryable).toBe(true);
  });

  it.each([408, 409, 429, 500, 503])('a %i is retried', (status) => {
    expect(classifyActivityError(stripeError(status))).not.toBeInstanceOf(ApplicationFailure);
  });
});

describe('other failures', () => {
  it('a lost connection is retried', () => {
    const err = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    expect(classifyActivityError(err)).toBe(err);
  });

  it('a PostgreSQL deadlock is retried', () => {
    const err = Object.assign(new Error('deadlock detected'), { code: '40P01' });
    expect(classifyActivityError(err)).toBe(err);
  });
});

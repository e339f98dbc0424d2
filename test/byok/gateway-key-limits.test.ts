import { randomBytes } from 'node:crypto';
import type { MikroORM } from '@mikro-orm/core';
import { AuditEntry, Customer, ProviderKey } from '../../db/entities';
import { openDatabase, type Dialect } from '../../db/orm';
import { GATEWAY_ROLE } from '../../domain/roles';
import {
  createByokRuntime,
  DEFAULT_KEY_READS_PER_MINUTE_PER_CUSTOMER,
  DEFAULT_KEY_READS_PER_MINUTE_PER_GATEWAY,
} from '../../services/byok/runtime';
import { readGaugesFrom, refreshBusinessFigures } from '../../telemetry/database-gauges';
import { registry } from '../../telemetry/registry';
import type { TestApi } from '../helpers/api';
import { startTestIdp, type TestIdp } from '../helpers/auth';
import { startByokTestApi, testKeyring } from '../helpers/byok-app';
import { openTestDatabase } from '../helpers/db';
import { subscribeToByokPlan } from './byok-plan';

const KEYS = '/api/v1/byok/gateway/keys';

describe.each<Dialect>(['sqlite', 'postgresql'])("limits on the gateway's key reads (%s)", (dialect) => {
  let idp: TestIdp;
  let db: Awaited<ReturnType<typeof openTestDatabase>>;
  let otherOrm: MikroORM;
  /** Two API processes on one database, each limiting to 4 reads a minute per gateway, 3 per customer. */
  let one: TestApi;
  let two: TestApi;
  let n = 0;

  async function gatewayToken(): Promise<string> {
    const sub = `svc-gw-${dialect}-${++n}-${randomBytes(3).toString('hex')}`;
    return idp.token({ sub, email: `${sub}@example.com`, roles: [GATEWAY_ROLE] });
  }

  /** A customer who stored an OpenAI key, subscribed to `plan` (none: never subscribed). */
  async function customerWithKey(plan: string | null = 'professional') {
    const sub = `byok-${dialect}-${++n}-${randomBytes(3).toString('hex')}`;
    const token = await idp.token({ sub, email: `${sub}@example.com` });
    const key = `sk-proj-${randomBytes(20).toString('hex')}`;
    const added = await one.request('POST', '/api/v1/byok/keys/add', {
      token,
      body: { provider: 'openai', api_key: key },
    });
    expect(added.status).toBe(200);
    if (plan) await subscribeToByokPlan(db.orm, sub, plan);
    return { sub, key };
  }
  const read = (api: TestApi, gateway: string, who: { sub: string }) =>
    api.request('GET', `${KEYS}/openai?user_id=${encodeURIComponent(who.sub)}`, { token: gateway });

  beforeAll(async () => {
    [idp, db] = await Promise.all([startTestIdp(), openTestDatabase(dialect)]);
    otherOrm = await openDatabase(db.url, { migrate: false });
    const env = {
      OIDC_ISSUER: idp.issuer,
      OIDC_JWKS_URL: idp.jwksUrl,
      BYOK_KEY_READS_PER_MINUTE_PER_GATEWAY: '4',
      BYOK_KEY_READS_PER_MINUTE_PER_CUSTOMER: '3',
    };
    one = await startByokTestApi({ orm: db.orm, env });
    two = await startByokTestApi({ orm: otherOrm, env, keyring: one.byok.keyring });
  });
  afterAll(async () => {
    await Promise.all([one?.stop(), two?.stop()]);
    await otherOrm?.close();
    await Promise.all([idp?.stop(), db?.close()]);
  });

  it('reads at most 60 keys a minute per gateway and 10 of one customer by default', () => {
    const runtime = createByokRuntime(testKeyring(), {});
    expect(runtime.keyReads).toEqual({ perGateway: 60, perCustomer: 10 });
    expect([DEFAULT_KEY_READS_PER_MINUTE_PER_GATEWAY, DEFAULT_KEY_READS_PER_MINUTE_PER_CUSTOMER]).toEqual([
      60, 10,
    ]);
  });

  it("shares one gateway's allowance between two API processes", async () => {
    const gateway = await gatewayToken();
    const customers = [await customerWithKey(), await customerWithKey()];
    const answers: number[] = [];
    for (let i = 0; i < 6; i++) {
      answers.push((await read(i % 2 ? two : one, gateway, customers[i % 2] as { sub: string })).status);
    }
    expect(answers).toEqual([200, 200, 200, 200, 429, 429]);
    const limited = await read(two, gateway, customers[0] as { sub: string });
    expect(limited.body.error).toMatchObject({ code: 'rate_limited', details: { scope: 'gateway' } });
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
  });

  it("shares one customer's allowance between processes and gateways", async () => {
    const customer = await customerWithKey();
    const gateways = [await gatewayToken(), await gatewayToken(), await gatewayToken()];
    const answers: number[] = [];
    for (let i = 0; i < 5; i++) {
      answers.push((await read(i % 2 ? two : one, gateways[i % 3] as string, customer)).status);
    }
    expect(answers).toEqual([200, 200, 200, 429, 429]);
    const limited = await read(one, await gatewayToken(), customer);
    expect(limited.body.error).toMatchObject({ code: 'rate_limited', details: { scope: 'customer' } });
    expect(JSON.stringify(limited.body)).not.toContain(customer.key);
  });

  it('refuses the key of a customer whose plan has no BYOK, or who has no live plan, unaudited', async () => {
    const gateway = await gatewayToken();
    const cases = [
      await customerWithKey(null),
      await customerWithKey('starter'),
      await customerWithKey('trial'),
    ];
    for (const who of cases) {
      const res = await read(one, gateway, who);
      expect([res.status, res.body.error?.code]).toEqual([403, 'byok_not_in_plan']);
      expect(JSON.stringify(res.body)).not.toContain(who.key);
    }
    // A plan with BYOK that has ended gives nothing either; a live one does.
    const ended = await customerWithKey(null);
    await subscribeToByokPlan(db.orm, ended.sub, 'professional', 'canceled');
    expect((await read(two, gateway, ended)).body.error.code).toBe('byok_not_in_plan');
    const enterprise = await customerWithKey('enterprise');
    // (A fresh gateway: the four refusals above took this one's four reads a minute.)
    expect((await read(two, await gatewayToken(), enterprise)).body.api_key).toBe(enterprise.key);

    const em = db.orm.em.fork();
    for (const who of [...cases, ended]) {
      const customer = await em.findOneOrFail(Customer, { userId: who.sub });
      const key = await em.findOneOrFail(ProviderKey, { customer });
      const audited = await em.count(AuditEntry, {
        action: { $in: ['byok.key_read', 'byok.key_read_failed'] },
        entityId: key.id,
      });
      expect(audited).toBe(0);
    }
  });

  it('counts the distinct customers whose keys were read in the last 5 minutes', async () => {
    const gauge = async () => {
      readGaugesFrom(db.orm);
      refreshBusinessFigures();
      const metric = registry.getSingleMetric('billing_byok_key_read_customers');
      const value = (await metric?.get())?.values[0]?.value;
      return value ?? Number.NaN;
    };
    const before = await gauge();
    expect(Number.isFinite(before)).toBe(true);
    const [x, y] = [await customerWithKey(), await customerWithKey()];
    // Three reads of two customers, through both processes: two customers.
    expect((await read(one, await gatewayToken(), x)).status).toBe(200);
    expect((await read(two, await gatewayToken(), x)).status).toBe(200);
    expect((await read(two, await gatewayToken(), y)).status).toBe(200);
    expect(await gauge()).toBe(before + 2);
    // A refused read is no read.
    const refused = await customerWithKey('starter');
    expect((await read(one, await gatewayToken(), refused)).status).toBe(403);
    expect(await gauge()).toBe(before + 2);
  });
});

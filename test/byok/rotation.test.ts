import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { MikroORM } from '@mikro-orm/core';
import { openProviderKey, sealProviderKey } from '../../services/byok/crypto';
import {
  rotateProviderKeys,
  rotateWebhookSecrets,
  type RotationProgress,
} from '../../services/byok/rotate-keys';
import { createEndpoint } from '../../services/webhooks/endpoints';
import { openEndpointSecret } from '../../integrations/webhooks/settings';
import { ByokKey, type ByokKeyring } from '../../config/byok-key';
import { Customer, ProviderKey, WebhookEndpoint } from '../../db/entities';
import { newId } from '../../db/ids';
import type { Dialect } from '../../db/orm';
import { BYOK_PROVIDER_IDS } from '../../domain/byok-providers';
import { openTestDatabase } from '../helpers/db';

const root = join(__dirname, '..', '..');

/** Stores `count` keys (spread over customers and providers) under the keyring's current key. */
async function seedKeys(orm: MikroORM, keyring: ByokKeyring, count: number): Promise<Map<string, string>> {
  const em = orm.em.fork();
  const plain = new Map<string, string>();
  let customer: Customer | null = null;
  for (let i = 0; i < count; i++) {
    const provider = BYOK_PROVIDER_IDS[i % 3]!;
    if (i % 3 === 0) {
      const tag = randomBytes(6).toString('hex');
      customer = em.create(Customer, {
        id: newId('cust'),
        userId: `rot-${tag}`,
        email: `rot-${tag}@example.com`,
      });
    }
    const apiKey = `secret-${i}-${randomBytes(12).toString('hex')}`;
    const id = newId('pk');
    em.create(ProviderKey, {
      id,
      customer: customer!,
      provider,
      ...sealProviderKey(keyring, { customerId: customer!.id, provider }, apiKey),
      keyHint: apiKey.slice(-4),
    });
    plain.set(id, apiKey);
  }
  await em.flush();
  return plain;
}

async function readAll(orm: MikroORM, keyring: ByokKeyring, ids: Iterable<string>) {
  const rows = await orm.em.fork().find(ProviderKey, { id: { $in: [...ids] } });
  return new Map(
    rows.map((r) => [r.id, openProviderKey(keyring, { customerId: r.customer.id, provider: r.provider }, r)]),
  );
}

const key = () => new ByokKey(randomBytes(32));

describe.each<Dialect>(['sqlite', 'postgresql'])('rotating the BYOK master key on %s', (dialect) => {
  let db: Awaited<ReturnType<typeof openTestDatabase>>;
  beforeEach(async () => {
    db = await openTestDatabase(dialect);
  });
  afterEach(() => db.close());

  it('resumes after an interruption and leaves every key readable under the new key alone', async () => {
    const oldKey = key();
    const newKey = key();
    const plain = await seedKeys(db.orm, { current: oldKey, previous: null }, 10);
    const seen: RotationProgress[] = [];

    await expect(
      rotateProviderKeys({
        orm: db.orm,
        current: newKey,
        previous: oldKey,
        batchSize: 3,
        onProgress: (p) => {
          seen.push(p);
          throw new Error('operator pressed Ctrl-C');
        },
      }),
    ).rejects.toThrow('Ctrl-C');
    expect(seen).toEqual([expect.objectContaining({ total: 10, done: 3, rotated: 3, alreadyCurrent: 0 })]);
    // Mid-rotation, the API (holding both keys) still reads every key.
    expect(await readAll(db.orm, { current: newKey, previous: oldKey }, plain.keys())).toEqual(plain);

    const resumed = await rotateProviderKeys({
      orm: db.orm,
      current: newKey,
      previous: oldKey,
      batchSize: 3,
    });
    expect(resumed).toMatchObject({ total: 10, done: 10, rotated: 7, alreadyCurrent: 3, failed: 0 });

    const rows = await db.orm.em.fork().find(ProviderKey, {});
    expect(new Set(rows.map((r) => r.keyVersion))).toEqual(new Set([newKey.version]));
    expect(await readAll(db.orm, { current: newKey, previous: null }, plain.keys())).toEqual(plain);

    const again = await rotateProviderKeys({ orm: db.orm, current: newKey, previous: oldKey });
    expect(again).toMatchObject({ rotated: 0, alreadyCurrent: 10, failed: 0 });
  });

  it('reports a key under neither key, leaves it untouched, and still rotates the rest', async () => {
    const oldKey = key();
    const newKey = key();
    const plain = await seedKeys(db.orm, { current: oldKey, previous: null }, 4);
    const stray = await seedKeys(db.orm, { current: key(), previous: null }, 1);
    const [strayId] = [...stray.keys()];
    const before = await db.orm.em.fork().findOneOrFail(ProviderKey, { id: strayId! });

    const result = await rotateProviderKeys({ orm: db.orm, current: newKey, previous: oldKey, batchSize: 2 });
    expect(result).toMatchObject({ total: 5, rotated: 4, failed: 1 });
    expect(result.failures).toEqual([
      { id: strayId, provider: before.provider, reason: expect.stringMatching(/not configured/) },
    ]);
    expect(JSON.stringify(result)).not.toMatch(/secret-/);
    const after = await db.orm.em.fork().findOneOrFail(ProviderKey, { id: strayId! });
    expect(after.ciphertext).toBe(before.ciphertext);
    expect(await readAll(db.orm, { current: newKey, previous: null }, plain.keys())).toEqual(plain);
  });

  it("moves webhook endpoints' signing secrets to the new key too, once, and reports one under neither", async () => {
    const oldKey = key();
    const newKey = key();
    const actor = {
      sub: 'admin',
      email: 'ops@example.com',
      name: null,
      roles: ['admin'],
      role: 'admin' as const,
      expMs: 0,
    };
    const terms = {
      url: 'https://hooks.example.com/',
      description: null,
      eventTypes: ['invoice.paid'],
      enabled: true,
    };
    const urlPolicy = { production: false, allowPrivate: false };
    const made = await createEndpoint(db.orm.em.fork(), actor, terms, {
      keyring: { current: oldKey, previous: null },
      urlPolicy,
    });
    const stray = await createEndpoint(db.orm.em.fork(), actor, terms, {
      keyring: { current: key(), previous: null },
      urlPolicy,
    });
    const result = await rotateWebhookSecrets({ orm: db.orm, current: newKey, previous: oldKey });
    expect(result.rotated).toBe(1);
    expect(result.failures).toEqual([
      { id: stray.view.endpoint.id, reason: expect.stringMatching(/not configured/) },
    ]);
    const row = await db.orm.em.fork().findOneOrFail(WebhookEndpoint, { id: made.view.endpoint.id });
    expect(openEndpointSecret({ current: newKey, previous: null }, row)).toBe(made.secret);
    expect((await rotateWebhookSecrets({ orm: db.orm, current: newKey, previous: oldKey })).rotated).toBe(0);
  });
});

describe('npm run byok:rotate', () => {
  it('rotates a database from the command line and says the previous key can go', async () => {
    const db = await openTestDatabase('sqlite');
    try {
      const oldRaw = randomBytes(32);
      const newRaw = randomBytes(32);
      const oldKey = new ByokKey(oldRaw);
      const newKey = new ByokKey(newRaw);
      const plain = await seedKeys(db.orm, { current: oldKey, previous: null }, 5);
      const run = spawnSync(
        process.execPath,
        [require.resolve('tsx/cli'), 'tools/byok-rotate.ts', '--batch-size', '2'],
        {
          cwd: root,
          env: {
            PATH: process.env.PATH ?? '',
            HOME: process.env.HOME ?? '',
            NODE_ENV: 'test',
            LOG_LEVEL: 'silent',
            DATABASE_URL: db.url,
            BYOK_ENCRYPTION_KEY: newRaw.toString('base64'),
            BYOK_ENCRYPTION_KEY_PREVIOUS: oldRaw.toString('hex'),
          },
          encoding: 'utf8',
          timeout: 60_000,
        },
      );
      expect(run.status).toBe(0);
      expect(run.stderr).toMatch(/\[#+-+\] 2\/5 /);
      expect(run.stdout).toMatch(/5\/5 {2}rotated 5/);
      expect(run.stdout).toMatch(/BYOK_ENCRYPTION_KEY_PREVIOUS can be removed/);
      expect(`${run.stdout}${run.stderr}`).not.toContain(newRaw.toString('base64'));
      expect(await readAll(db.orm, { current: newKey, previous: null }, plain.keys())).toEqual(plain);
    } finally {
      await db.close();
    }
  });

  it('refuses to start without the previous key, naming the variable', () => {
    const run = spawnSync(process.execPath, [require.resolve('tsx/cli'), 'tools/byok-rotate.ts'], {
      cwd: root,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '',
        NODE_ENV: 'test',
        DATABASE_URL: 'sqlite::memory:',
        BYOK_ENCRYPTION_KEY: randomBytes(32).toString('hex'),
      },
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/BYOK_ENCRYPTION_KEY_PREVIOUS/);
  });
});

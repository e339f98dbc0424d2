import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IsolationLevel } from '@mikro-orm/core';
import { sqlFor } from '../../db/raw-sql';
import { startTestIdp, type TestIdp } from '../helpers/auth';
import { openTestDatabase } from '../helpers/db';
import { killProcess, startEngineProcess, untilListening } from '../helpers/engine-process';
import { seedSubscriber } from './fixtures';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { freePort } = require('../../tools/free-port');

const DAY = 86_400_000;
const REPORT = '/api/v1/billing/report_usage';
const REPORTERS = 16;
/** Requests answered before the API is killed: enough that many are in flight and in a commit at once. */
const ANSWERED_BEFORE_KILL = 1500;

interface Sent {
  customer: string;
  id: string;
  quantity: number;
  /** 'stored' once a 2xx answer counted it accepted or a duplicate; null while unanswered. */
  answer: 'stored' | null;
}

describe.each(['sqlite', 'postgresql'] as const)(
  'usage reports across a crash of the API (%s)',
  (dialect) => {
    let db: Awaited<ReturnType<typeof openTestDatabase>>;
    let idp: TestIdp;
    let varDir: string;
    let api: ChildProcess | null = null;
    beforeAll(async () => {
      [db, idp] = await Promise.all([openTestDatabase(dialect), startTestIdp()]);
      varDir = mkdtempSync(join(tmpdir(), 'billing-crash-'));
    });
    afterAll(async () => {
      await killProcess(api);
      await Promise.all([db?.close(), idp?.stop()]);
      rmSync(varDir, { recursive: true, force: true });
    });

    async function launch(): Promise<{ url: string; process: ChildProcess }> {
      const port: number = await freePort();
      const child = startEngineProcess('api/main.ts', {
        TEMPORAL_ADDRESS: '127.0.0.1:1',
        PORT: String(port),
        DATABASE_URL: db.url,
        OIDC_ISSUER: idp.issuer,
        OIDC_JWKS_URL: idp.jwksUrl,
        VAR_DIR: varDir,
      });
      const url = `http://127.0.0.1:${port}`;
      await untilListening(url, child);
      return { url, process: child };
    }

    /**
     * What the database holds for these customers: event ids with how often each is stored, and the counters.
     * Both are read in one snapshot: PostgreSQL still runs a killed client's statements that reached its
     * socket, so a commit can land between two reads taken at read committed.
     */
    async function ledger(customers: string[]) {
      // Plain reads: entities loaded in a transaction are flushed at its commit, and that write would wait
      // on the API, which goes on writing after it answers (its alerts look at the customers it reported).
      const marks = customers.map(() => '?').join(', ');
      const { events, counters } = await db.orm.em.fork().transactional(
        async (em) => ({
          events: await sqlFor(em).run<{ customer_id: string; event_id: string; quantity: number | string }>(
            `select customer_id, event_id, quantity from usage_events where customer_id in (${marks})`,
            customers,
          ),
          counters: await sqlFor(em).run<{ quantity: number | string }>(
            `select quantity from daily_usage where customer_id in (${marks})`,
            customers,
          ),
        }),
        dialect === 'postgresql' ? { isolationLevel: IsolationLevel.REPEATABLE_READ } : {},
      );
      const times = new Map<string, number>();
      for (const e of events) {
        const key = `${e.customer_id}/${e.event_id}`;
        times.set(key, (times.get(key) ?? 0) + 1);
      }
      return {
        times,
        units: events.reduce((s, e) => s + Number(e.quantity), 0),
        counted: counters.reduce((s, c) => s + Number(c.quantity), 0),
      };
    }

    it('stores every event answered 2xx exactly once, and a client retrying the unanswered ends with each stored once', async () => {
      const customers: { id: string; sub: string }[] = [];
      for (let c = 0; c < 4; c++) {
        // Two uncapped customers and two with a daily cap far above what the test sends (the cap's locks
        // are taken, never reached).
        const plan = c % 2 === 0 ? 'enterprise' : 'professional';
        const s = await seedSubscriber(db.orm, {
          email: `crash-${dialect}-${c}@example.com`,
          plan,
          periodStart: new Date(Date.now() - DAY),
        });
        customers.push({ id: s.customer.id, sub: s.sub });
      }
      const token = await idp.token({
        sub: 'svc-gateway',
        extra: { preferred_username: 'ai-gateway' },
        roles: ['billing-gateway'],
      });
      const sent = new Map<string, Sent>();
      const requests: Sent[][] = [];
      const post = (url: string, batch: Sent[]) =>
        fetch(`${url}${REPORT}`, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: JSON.stringify(
            batch.length === 1
              ? {
                  id: batch[0]!.id,
                  type: 'inference',
                  quantity: batch[0]!.quantity,
                  user_id: customerSub(batch[0]!),
                }
              : {
                  user_id: customerSub(batch[0]!),
                  events: batch.map((e) => ({ id: e.id, type: 'inference', quantity: e.quantity })),
                },
          ),
        });
      const customerSub = (e: Sent) => customers.find((c) => c.id === e.customer)!.sub;

      // 16 reporters, one event a request (every fifth request ten), until the API is killed under them.
      let first = await launch();
      api = first.process;
      let answered = 0;
      let killed = false;
      const unexpected: string[] = [];
      const reporter = async (r: number) => {
        for (let n = 0; ; n++) {
          const customer = customers[(r + n) % customers.length]!.id;
          const size = n % 5 === 4 ? 10 : 1;
          const batch: Sent[] = Array.from({ length: size }, (_, k) => ({
            customer,
            id: `r${r}-${n}-${k}`,
            quantity: 1 + ((r + n + k) % 3),
            answer: null,
          }));
          for (const e of batch) sent.set(`${customer}/${e.id}`, e);
          requests.push(batch);
          let res: Response;
          let body: { accepted?: number; duplicate?: number } | null;
          try {
            res = await post(first.url, batch);
            body = (await res.json()) as typeof body;
          } catch {
            return; // the API is gone: this request has no (whole) answer
          }
          if (res.status !== 200 || (body?.accepted ?? 0) + (body?.duplicate ?? 0) !== size) {
            unexpected.push(`${res.status} ${JSON.stringify(body)}`);
            return;
          }
          for (const e of batch) e.answer = 'stored';
          if (++answered === ANSWERED_BEFORE_KILL && !killed) {
            killed = true;
            first.process.kill('SIGKILL');
          }
        }
      };
      const exited = new Promise((r) => first.process.once('exit', r));
      await Promise.all(Array.from({ length: REPORTERS }, (_, r) => reporter(r)));
      await exited;
      expect(unexpected).toEqual([]);
      expect(killed).toBe(true);

      const ids = customers.map((c) => c.id);
      const all = [...sent.values()];
      const acknowledged = all.filter((e) => e.answer === 'stored');
      const unanswered = requests.filter((b) => b[0]!.answer === null);
      expect(acknowledged.length).toBeGreaterThanOrEqual(ANSWERED_BEFORE_KILL);
      // Some requests were cut off by the kill (16 were in flight).
      expect(unanswered.length).toBeGreaterThan(0);

      const afterCrash = await ledger(ids);
      const missing = acknowledged.filter((e) => afterCrash.times.get(`${e.customer}/${e.id}`) !== 1);
      expect(missing.map((e) => e.id)).toEqual([]);
      // Nothing is stored that was not sent, and the counters moved with the events, commit for commit.
      expect([...afterCrash.times.keys()].filter((k) => !sent.has(k))).toEqual([]);
      expect(afterCrash.counted).toBe(afterCrash.units);

      // A restarted API; the client sends again every request it got no answer to, with the same ids.
      first = await launch();
      api = first.process;
      for (const batch of unanswered) {
        const res = await post(first.url, batch);
        const body = (await res.json()) as { accepted: number; duplicate: number };
        expect(res.status).toBe(200);
        expect(body.accepted + body.duplicate).toBe(batch.length);
        for (const e of batch) e.answer = 'stored';
      }
      const end = await ledger(ids);
      expect(end.times.size).toBe(sent.size);
      expect([...end.times.values()].every((times) => times === 1)).toBe(true);
      expect(end.units).toBe(all.reduce((s, e) => s + e.quantity, 0));
      expect(end.counted).toBe(end.units);

      const stopped = new Promise((r) => first.process.once('exit', r));
      first.process.kill('SIGTERM');
      await stopped;
      api = null;
    }, 120_000);
  },
);

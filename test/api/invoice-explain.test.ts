import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { resolve } from 'node:path';
import { UsageRollup } from '../../db/entities';
import { waitUntil } from '../helpers/eventually';
import { unzip } from '../helpers/unzip';
import {
  renewOnClock,
  rollUpOnce,
  starterOnClock,
  startFullStack,
  type FullStack,
} from '../helpers/full-stack';

const TASK_QUEUE = 'invoice-explain';
const ROOT = resolve(__dirname, '../..');

/** `npm run billing:reverify` as an operator runs it: its own process, against the stack's database and Stripe. */
function reverify(stack: FullStack, args: string[]): Promise<{ code: number; out: string }> {
  return new Promise((done) => {
    execFile(
      process.execPath,
      [require.resolve('tsx/cli'), 'tools/billing-reverify.ts', ...args],
      {
        cwd: ROOT,
        env: {
          PATH: process.env.PATH ?? '',
          NODE_ENV: 'test',
          LOG_LEVEL: 'silent',
          DATABASE_URL: stack.db.url,
          STRIPE_API_BASE: stack.emulator.url,
        },
        timeout: 120_000,
      },
      (err, stdout, stderr) => done({ code: err ? Number(err.code ?? 1) : 0, out: `${stdout}${stderr}` }),
    );
  });
}

interface Line {
  kind: string;
  amount_cents: number;
  recomputed_cents: number | null;
  matches: boolean | null;
  rated:
    { line_key: string; units: number; included_units: number; priced_units: number; cents: number }[] | null;
  usage: { events: { count: number; units: number; ids: string[]; ids_sha256: string } } | null;
  plan: { name: string; unit_cents: number | null } | null;
}

/**
 * A renewal invoice explained: Stripe issues it from the plan's price and the usage cost the rollup sent
 * its meter; the explanation names the plan version, rates the period's rolled-up units again with the
 * engine's rules and lists the events, and a line whose inputs were changed after the fact is flagged.
 */
describe('an invoice explained line by line', () => {
  let stack: FullStack;
  beforeAll(async () => {
    stack = await startFullStack({ taskQueue: TASK_QUEUE });
  }, 120_000);
  afterAll(() => stack?.stop());

  let seq = 0;
  /** A starter subscriber who used `units` (in three events) and was renewed: their renewal invoice. */
  async function renewedWithUsage(
    units: number[],
    metadata?: Record<string, unknown>,
    before?: (s: Awaited<ReturnType<typeof starterOnClock>>) => Promise<void>,
  ) {
    const s = await starterOnClock(stack, `explain-${++seq}-${Date.now()}`);
    await before?.(s);
    const ids = units.map((_, i) => `call-${seq}-${i}`);
    const reported = await s.call('POST', '/billing/report_usage', {
      events: units.map((quantity, i) => ({ id: ids[i], type: 'inference', quantity, metadata })),
    });
    expect(reported.body).toMatchObject({ accepted: units.length });
    await rollUpOnce(stack, TASK_QUEUE, `usage-rollup-explain-${seq}-${Date.now()}`);
    await renewOnClock(stack, s);
    const invoices = (await s.call('GET', '/billing/invoices')).body as {
      id: string;
      period_end: string;
      created: string;
    }[];
    const renewal = invoices.find((i) => i.period_end === s.sub.current_period_end)!;
    return { s, ids, renewal };
  }

  it('names the plan and the usage each line bills, recomputes both to the cent, and lists the events', async () => {
    const { s, ids, renewal } = await renewedWithUsage([400, 300, 200]);
    const res = await s.call('GET', `/billing/invoices/${renewal.id}/explain`);
    expect(res.status).toBe(200);
    const lines = res.body.lines as Line[];
    expect(res.body.all_match).toBe(true);
    expect(res.body.invoice).toMatchObject({ id: renewal.id, status: 'paid' });

    const plan = lines.find((l) => l.kind === 'plan')!;
    expect(plan).toMatchObject({ amount_cents: 1900, recomputed_cents: 1900, matches: true });
    expect(plan.plan).toMatchObject({ name: 'Starter', unit_cents: 1900 });

    // 900 units: the 100 included are free, 800 at $3 a thousand.
    const usage = lines.find((l) => l.kind === 'usage')!;
    expect(usage).toMatchObject({ amount_cents: 240, recomputed_cents: 240, matches: true });
    expect(usage.rated).toEqual([
      { line_key: '*', units: 900, included_units: 100, priced_units: 800, cents: 240 },
    ]);
    const sorted = [...ids].sort();
    expect(usage.usage!.events).toMatchObject({ count: 3, units: 900, ids: sorted });
    expect(usage.usage!.events.ids_sha256).toBe(
      createHash('sha256')
        .update(sorted.map((id) => `${id}\n`).join(''))
        .digest('hex'),
    );
    // The lines add up to what the invoice says.
    expect(lines.reduce((t, l) => t + l.amount_cents, 0)).toBe(res.body.invoice.subtotal_cents);

    // As CSV: a row a line, and a row for the rate-card line the usage was rated by.
    const csv = await stack.api.request('GET', `/api/v1/billing/invoices/${renewal.id}/explain?format=csv`, {
      token: s.token,
    });
    expect(csv.status).toBe(200);
    expect(csv.headers.get('content-type')).toMatch(/^text\/csv/);
    const rows = String(csv.body).trim().split('\r\n');
    expect(rows[0]).toMatch(/^kind,description,/);
    expect(rows.filter((r) => r.startsWith('rated,'))).toHaveLength(1);
    expect(rows.some((r) => r.startsWith('usage,') && r.includes(',240,') && r.endsWith(',240,true'))).toBe(
      true,
    );
  }, 300_000);

  it('names the prepaid credits that paid for usage: the grant and its ledger movements', async () => {
    const admin = await stack.idp.token({ sub: 'admin-explain', email: 'ops@example.com', roles: ['admin'] });
    let grantId = '';
    const { s, renewal } = await renewedWithUsage([400, 300, 200], undefined, async (who) => {
      const granted = await stack.api.request(
        'POST',
        `/api/v1/admin/billing/customers/${encodeURIComponent(who.email)}/credits`,
        {
          token: admin,
          body: { amount: 500, reason: 'goodwill' },
          headers: { 'Idempotency-Key': who.email },
        },
      );
      expect(granted.status).toBe(201);
      grantId = granted.body.id;
    });
    const res = await s.call('GET', `/billing/invoices/${renewal.id}/explain`);
    expect(res.status).toBe(200);
    // 900 units: 100 included, 500 paid by the grant, 300 at $3 a thousand.
    const usage = (res.body.lines as Line[]).find((l) => l.kind === 'usage')!;
    expect(usage).toMatchObject({ amount_cents: 90, recomputed_cents: 90, matches: true });
    expect(usage.usage!.events).toMatchObject({ count: 3, units: 900, paid_ahead_units: 500 });
    expect(res.body.lines.find((l: Line) => l.kind === 'usage').usage.credit_draws).toEqual([
      {
        grant_id: grantId,
        units: 500,
        movement_ids: [expect.any(String)],
        first_at: expect.any(String),
        last_at: expect.any(String),
      },
    ]);
  }, 300_000);

  it("recomputes an upgrade's prorations: the old fee's unused time and the new fee's remaining time, by the second", async () => {
    const s = await starterOnClock(stack, `explain-upgrade-${Date.now()}`);
    const start = Date.parse(s.sub.current_period_start);
    const end = Date.parse(s.sub.current_period_end);
    // Ten and a half days in (an odd second, so each line's rounding is its own).
    const at = Math.floor((start + 10.5 * 86_400_000) / 1000) + 7;
    await stack.stripe.testHelpers.testClocks.advance(s.clock.id, { frozen_time: at });
    const upgraded = await s.call('POST', '/billing/subscription/upgrade', { new_tier_id: 'professional' });
    expect(upgraded.body).toMatchObject({ status: 'applied', new_tier: 'professional' });
    const invoices = await waitUntil(
      () => s.call('GET', '/billing/invoices'),
      (r) => Array.isArray(r.body) && r.body.length >= 2,
      'the proration invoice in the mirror',
      120_000,
    );
    const checkout = invoices.body.find(
      (i: { period_start: string }) => Date.parse(i.period_start) === start,
    );
    const proration = invoices.body.find((i: { id: string }) => i.id !== checkout?.id)!;
    const res = await s.call('GET', `/billing/invoices/${proration.id}/explain`);
    expect(res.status).toBe(200);
    const lines = res.body.lines as Line[];
    // Stripe's share of the period, by the second, each line rounded on its own.
    const share = (cents: number) =>
      Math.round((cents * Math.floor(end / 1000 - at)) / Math.floor((end - start) / 1000));
    expect(lines.map((l) => [l.kind, l.amount_cents, l.recomputed_cents, l.matches])).toEqual([
      ['proration', -share(1900), -share(1900), true],
      ['proration', share(4900), share(4900), true],
    ]);
    expect(res.body.all_match).toBe(true);
  }, 300_000);

  it("answers 404 for another customer's invoice, 400 for what is not an invoice id, and gives an admin the ids and links", async () => {
    // 150 units billed (50 past the included 100 at $3 a thousand: 15¢) for calls of 200,000 gpt-4o input
    // and 50,000 output tokens, which cost the platform 50¢ + 50¢.
    const { s, renewal } = await renewedWithUsage([150], {
      model: 'gpt-4o',
      tokens: { input: 200_000, output: 50_000 },
    });
    const other = await starterOnClock(stack, `explain-other-${Date.now()}`);
    const theirs = await other.call('GET', `/billing/invoices/${renewal.id}/explain`);
    expect(theirs.status).toBe(404);
    expect(theirs.body.error.code).toBe('invoice_not_found');
    const own = `/billing/invoices/${renewal.id}/explain`;
    for (const bad of [
      ...['inv_x', 'in_a%2Fb', 'in_%E2%80%AE', 'in_%00', 'in_' + 'a'.repeat(200)].map(
        (id) => `/billing/invoices/${id}/explain`,
      ),
      `${own}?format=pdf`,
      `${own}?format=csv&format=json`,
      `${own}?extra=1`,
    ]) {
      const r = await other.call('GET', bad);
      expect([bad, r.status]).toEqual([bad, 400]);
    }

    const admin = await stack.idp.token({ sub: 'admin-explain', email: 'ops@example.com', roles: ['admin'] });
    const res = await stack.api.request('GET', `/api/v1/admin/billing/invoices/${renewal.id}/explain`, {
      token: admin,
    });
    expect(res.status).toBe(200);
    const usage = res.body.lines.find((l: { kind: string }) => l.kind === 'usage');
    expect(usage).toMatchObject({ matches: true, stripe_line_id: expect.stringMatching(/^il_/) });
    expect(usage.stripe_price_id).toMatch(/^price_/);
    expect(usage.rollups[0]).toMatchObject({
      units: 150,
      meter_event_identifier: `cost:${usage.rollups[0].id}`,
    });
    // The line's cost beside its price, for an admin only.
    expect(usage.amount_cents).toBe(15);
    expect(usage.cost).toEqual({
      cost_cents: 100,
      margin_cents: -85,
      uncosted_units: 0,
      byok_units: 0,
      lines: [{ key: '*', cost_cents: 100 }],
    });
    expect(res.body.lines.find((l: { kind: string }) => l.kind === 'plan').cost).toBeNull();
    const ownView = await s.call('GET', own);
    expect(ownView.body.lines.some((l: object) => 'cost' in l)).toBe(false);
    expect(res.body.stripe.invoice_url).toBe(`https://dashboard.stripe.com/test/invoices/${renewal.id}`);
    expect(res.body.stripe.charges[0]).toMatchObject({ status: 'succeeded' });
    expect(res.body.workflows.map((w: { role: string }) => w.role)).toEqual(['subscription', 'usage_rollup']);
    expect(res.body.workflows[0].id).toBe(`subscription-${res.body.subscription_id}`);
    // The run that was open when Stripe issued the invoice: this subscription's one run so far.
    const described = await stack.env.client.workflow.getHandle(res.body.workflows[0].id).describe();
    expect(res.body.workflows[0].run_id).toBe(described.runId);
    // The evidence pack: the explanation as JSON and CSV, and every event, whose ids give the line's checksum.
    const pack = await stack.api.raw(
      `/api/v1/admin/billing/invoices/${renewal.id}/explain?format=zip`,
      admin,
    );
    expect(pack.status).toBe(200);
    expect(pack.headers.get('content-type')).toBe('application/zip');
    expect(pack.headers.get('content-disposition')).toBe(`attachment; filename="${renewal.id}-evidence.zip"`);
    const files = new Map(
      unzip(Buffer.from(await pack.arrayBuffer())).map((f) => [f.name, f.data.toString('utf8')]),
    );
    expect([...files.keys()]).toEqual(['README.txt', 'explanation.json', 'explanation.csv', 'events.csv']);
    const packed = JSON.parse(files.get('explanation.json')!);
    expect(packed).toMatchObject({ invoice: { id: renewal.id }, all_match: true });
    // What the platform pays its providers is not evidence for the customer's bank.
    expect(packed.lines.some((l: object) => 'cost' in l)).toBe(false);
    const events = files.get('events.csv')!.trim().split('\r\n');
    expect(events[0]).toBe('event_id,type,units,paid_ahead_units,occurred_at,subject');
    expect(events.slice(1).map((r) => r.split(',').slice(0, 3))).toEqual([
      [expect.stringMatching(/^call-/), 'inference', '150'],
    ]);
    const idsSum = createHash('sha256')
      .update(
        events
          .slice(1)
          .map((r) => `${r.split(',')[0]}\n`)
          .join(''),
      )
      .digest('hex');
    expect(idsSum).toBe(usage.usage.events.ids_sha256);
    // A customer may not call the admin's route.
    const refused = await stack.api.request('GET', `/api/v1/admin/billing/invoices/${renewal.id}/explain`, {
      token: (await starterOnClock(stack, `explain-nosy-${Date.now()}`)).token,
    });
    expect(refused.status).toBe(403);
  }, 300_000);

  it('flags a usage line whose inputs no longer give the cents issued, in its explanation and in the reverification of its month', async () => {
    const { s, renewal } = await renewedWithUsage([500]);
    const month = renewal.created.slice(0, 7);
    const before = await reverify(stack, ['--month', month]);
    expect(before).toMatchObject({
      code: 0,
      out: expect.stringMatching(new RegExp(`^${month}: \\d+ invoices, .* all match$`, 'm')),
    });

    // The stored usage changes after Stripe billed it: 500 units become 600.
    const em = stack.db.orm.em.fork();
    const customerRollups = await em.find(UsageRollup, { customer: { email: s.email } });
    expect(customerRollups).toHaveLength(1);
    customerRollups[0]!.quantity = 600;
    await em.flush();

    const res = await s.call('GET', `/billing/invoices/${renewal.id}/explain`);
    expect(res.body.all_match).toBe(false);
    // 400 priced units ($1.20) issued; 500 priced ($1.50) by the rollup as it stands.
    expect(res.body.lines.find((l: Line) => l.kind === 'usage')).toMatchObject({
      amount_cents: 120,
      recomputed_cents: 150,
      matches: false,
    });
    expect(res.body.lines.find((l: Line) => l.kind === 'plan')).toMatchObject({ matches: true });

    const after = await reverify(stack, ['--month', month]);
    expect(after.code).toBe(1);
    expect(after.out).toContain(`DIFFERS ${renewal.id}`);
    expect(after.out).toMatch(/issued 120, recomputed 150 \(cents\)/);
    expect(after.out).toMatch(/ 1 differ$/m);
    for (const bad of [
      ['--month', '2026-13'],
      ['--month', '26-1'],
      ['--month', '2026-1\u202e'],
      ['--nope'],
    ]) {
      const r = await reverify(stack, bad);
      expect([bad, r.code]).toEqual([bad, 2]);
    }
  }, 300_000);
});

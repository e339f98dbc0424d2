import { addGrant } from '../../db/credit-ledger';
import { dueTopUpCrossing } from '../../db/credit-top-up-due';
import { CreditPack, CreditTopUp } from '../../db/entities';
import { newId } from '../../db/ids';
import { sqlFor } from '../../db/raw-sql';
import type { TopUpOutcome } from '../../activities/credits';
import { workflowIds } from '../../workflows/ids';
import { waitUntil } from '../helpers/eventually';
import { startFullStack, starterSubscriber, type FullStack } from '../helpers/full-stack';

const WEBHOOK_SECRET = 'whsec_top_up_safety_test';
/** Requests a caller may make a minute on routes that charge (checkout, purchase, auto top-up saves). */
const STRIPE_LIMIT = 8;
/** Stripe's SEPA test IBAN whose debit is returned days later. */
const FAILING_IBAN = 'DE62370400440532013001';

interface CreditsBody {
  balance: number;
  auto_top_up: { enabled: boolean; threshold: number | null; pack_id: string | null; note: string | null };
}

/**
 * What an automatic top-up may never do, end to end on a real Temporal server and the emulator: grant
 * credits on a bank debit that has not been paid, charge twice for one decision or for two decisions at
 * once, charge for a pack the customer's plan may no longer buy, or be saved in a loop.
 */
describe('automatic top-ups that cannot lose money', () => {
  let stack: FullStack;

  beforeAll(async () => {
    stack = await startFullStack({
      taskQueue: 'top-up-safety',
      webhookSecret: WEBHOOK_SECRET,
      dialect: 'postgresql',
      // Stripe Tax on: a customer with a taxable address pays tax on a top-up as on a Checkout pack.
      stripeTax: true,
      apiEnv: () => ({
        CREDIT_TOP_UP_RETRY_SECONDS: '1',
        RATE_LIMIT_STRIPE_PER_MINUTE: String(STRIPE_LIMIT),
      }),
    });
  });
  afterAll(() => stack?.stop());

  async function pack(planCodes: string[] = []): Promise<CreditPack> {
    const em = stack.db.orm.em.fork();
    const p = em.create(CreditPack, {
      id: newId('pack'),
      code: `pack-${newId('x').slice(-8)}`,
      name: '1000 credits',
      credits: 1000,
      priceCents: 1900,
      currency: 'usd',
      planCodes,
      expiresAfterDays: 365,
      active: true,
      createdAt: new Date(),
      updatedAt: new Date(),
    });
    await em.flush();
    return p;
  }

  /** A starter subscriber, with reads of their credits and of the top-ups charged to them. */
  async function subscriber(name: string, country = 'US') {
    // The US: where the account collects no tax, so only the taxed test's customer pays any.
    const s = await starterSubscriber(stack, name, { country });
    const credits = async () => (await s.call('GET', '/billing/credits')).body as CreditsBody;
    const topUpIntents = async () =>
      (await stack.stripe.paymentIntents.list({ customer: s.stripeCustomerId })).data.filter(
        (p) => p.metadata?.kind === 'credit_top_up',
      );
    return { ...s, credits, topUpIntents };
  }

  /** A SEPA mandate the bank will return, attached by the customer through the API as their default. */
  async function debitAsDefault(s: Awaited<ReturnType<typeof subscriber>>, count: number): Promise<string> {
    const debit = await stack.stripe.paymentMethods.create({
      type: 'sepa_debit',
      sepa_debit: { iban: FAILING_IBAN },
      billing_details: { name: 'Debit Holder', email: 'debit@example.com' },
    });
    const attached = await s.call('POST', '/stripe/attach_payment_method', {
      payment_method_id: debit.id,
      make_default: true,
    });
    expect(attached.status).toBe(200);
    const listed = await s.paymentMethods(count, 'the SEPA mandate in the mirror');
    expect(listed.find((m) => m.id === debit.id)).toMatchObject({ type: 'sepa_debit', is_default: true });
    return debit.id;
  }

  it('charges the card, never a default bank debit, and grants only what was paid', async () => {
    const s = await subscriber('debit-default');
    const small = await pack();
    const debitId = await debitAsDefault(s, 2);

    const on = await s.call('PUT', '/billing/credits/auto-top-up', {
      enabled: true,
      threshold: 500,
      pack_id: small.id,
    });
    expect(on.status).toBe(200);
    await waitUntil(s.credits, (c) => c.balance === 1000, 'the automatic top-up', 30_000, 200);
    const intents = await s.topUpIntents();
    expect(intents.map((p) => [p.payment_method, p.status])).toEqual([[s.cardId, 'succeeded']]);
    expect(intents[0]!.payment_method).not.toBe(debitId);

    // The crossing's try is marked as charged, so it no longer holds back the customer's next top-up.
    // The grant commits first and the try is marked after it, so the test waits for the mark.
    const tries = await waitUntil(
      () =>
        sqlFor(stack.db.orm.em.fork()).run<{ status: string; payment_intent_id: string }>(
          'select status, payment_intent_id from credit_top_ups where customer_id = ?',
          [s.customerId],
        ),
      (rows) => rows.every((r) => r.status !== 'pending'),
      "the top-up's try marked",
      10_000,
    );
    expect(tries).toEqual([{ status: 'succeeded', payment_intent_id: intents[0]!.id }]);
    // The bank answering later changes nothing: no credits were granted on a debit.
    stack.emulator.settleDebits();
    await stack.emulator.waitForWebhooks();
    expect((await s.credits()).balance).toBe(1000);
  });

  it('refuses auto top-up to a customer whose only payment method is a bank debit', async () => {
    const s = await subscriber('debit-only');
    const small = await pack();
    await debitAsDefault(s, 2);
    expect((await s.call('DELETE', `/billing/payment-methods/${s.cardId}`)).status).toBe(200);
    await s.paymentMethods(1, 'the card removed from the mirror');

    const on = await s.call('PUT', '/billing/credits/auto-top-up', {
      enabled: true,
      threshold: 500,
      pack_id: small.id,
    });
    expect(on.status).toBe(409);
    expect(on.body.error).toMatchObject({ code: 'no_payment_method', details: { field: 'body.enabled' } });
    expect(await s.topUpIntents()).toEqual([]);
    expect((await s.credits()).balance).toBe(0);
  });

  it('charges one top-up at a time, and the same settings saved again are no new crossing', async () => {
    const s = await subscriber('in-flight');
    const small = await pack();
    const em = stack.db.orm.em.fork();
    // Another crossing's charge is at Stripe right now.
    const other = em.create(CreditTopUp, {
      id: newId('ctu'),
      customerId: s.customerId,
      crossingKey: `${s.customerId}:other:1`,
      packId: small.id,
      threshold: 500,
      balanceAtCrossing: 0,
      status: 'pending',
      attempts: 1,
      createdAt: new Date(),
      updatedAt: new Date(),
    });
    await em.flush();

    const settings = { enabled: true, threshold: 500, pack_id: small.id };
    expect((await s.call('PUT', '/billing/credits/auto-top-up', settings)).status).toBe(200);
    const crossing = await dueTopUpCrossing(stack.db.orm.em.fork(), s.customerId, new Date());
    expect(crossing).not.toBeNull();
    const outcome = (await stack.env.client.workflow
      .getHandle(workflowIds.creditTopUp(crossing!))
      .result()) as TopUpOutcome;
    expect(outcome).toMatchObject({ status: 'skipped', reason: expect.stringMatching(/another top-up/) });

    // Saved again unchanged: the same crossing, so its finished workflow is not started again.
    expect((await s.call('PUT', '/billing/credits/auto-top-up', settings)).status).toBe(200);
    expect(await dueTopUpCrossing(stack.db.orm.em.fork(), s.customerId, new Date())).toBe(crossing);
    expect(await s.topUpIntents()).toEqual([]);

    // Once the other charge has ended, a changed setting is a new decision and charges once.
    await sqlFor(em).run('update credit_top_ups set status = ? where id = ?', ['succeeded', other.id]);
    expect(
      (await s.call('PUT', '/billing/credits/auto-top-up', { ...settings, threshold: 600 })).status,
    ).toBe(200);
    await waitUntil(s.credits, (c) => c.balance === 1000, 'the top-up of the new decision', 30_000, 200);
    expect((await s.topUpIntents()).map((p) => [p.amount, p.status])).toEqual([[1900, 'succeeded']]);
  });

  it('declines a top-up of a pack the customer’s plan may no longer buy', async () => {
    const s = await subscriber('plan-moved');
    const small = await pack();
    // 600 credits given: above the threshold when auto top-up is turned on, so nothing is charged yet.
    await addGrant(sqlFor(stack.db.orm.em.fork()), {
      customerId: s.customerId,
      amount: 600,
      source: 'promotion',
      effectiveAt: new Date(Date.now() - 1000),
      expiresAt: null,
      sourceKey: `promo:${s.customerId}`,
    });
    const on = await s.call('PUT', '/billing/credits/auto-top-up', {
      enabled: true,
      threshold: 500,
      pack_id: small.id,
    });
    expect(on.status).toBe(200);
    // The pack is then restricted to another plan; the next crossing must not buy it.
    await sqlFor(stack.db.orm.em.fork()).run('update credit_packs set plan_codes = ? where id = ?', [
      JSON.stringify(['enterprise']),
      small.id,
    ]);
    const used = await s.call('POST', '/billing/report_usage', {
      events: [{ id: `plan-moved-1`, type: 'inference', quantity: 300 }],
    });
    expect(used.status).toBe(200);
    expect(used.body).toMatchObject({ accepted: 1 });
    const off = await waitUntil(
      s.credits,
      (c) => !c.auto_top_up.enabled,
      'auto top-up turned off',
      30_000,
      200,
    );
    expect(off.auto_top_up.note).toMatch(/not sold on your current plan/);
    expect(await s.topUpIntents()).toEqual([]);
    const tries = await sqlFor(stack.db.orm.em.fork()).run<{ status: string; attempts: number | string }>(
      'select status, attempts from credit_top_ups where customer_id = ?',
      [s.customerId],
    );
    expect(tries.map((t) => [t.status, Number(t.attempts)])).toEqual([['declined', 2]]);
  });

  it('charges the tax Stripe Tax prices for the customer, records it once, and tells them what was charged', async () => {
    const s = await subscriber('taxed', 'DE');
    const small = await pack();
    const on = await s.call('PUT', '/billing/credits/auto-top-up', {
      enabled: true,
      threshold: 500,
      pack_id: small.id,
    });
    expect(on.status).toBe(200);
    await waitUntil(s.credits, (c) => c.balance === 1000, 'the taxed top-up', 30_000, 200);
    // 19 % German VAT on 19.00.
    const [intent] = await s.topUpIntents();
    expect([intent!.amount, intent!.currency, intent!.status]).toEqual([2261, 'usd', 'succeeded']);
    const notice = await waitUntil(
      () =>
        sqlFor(stack.db.orm.em.fork()).run<{ payload: unknown }>(
          'select payload from notifications where customer_id = ? and kind = ?',
          [s.customerId, 'credits_topped_up'],
        ),
      (rows) => rows.length === 1,
      'the top-up mail',
    );
    const payload = notice[0]!.payload;
    expect(typeof payload === 'string' ? JSON.parse(payload) : payload).toMatchObject({
      amountCents: 2261,
      currency: 'usd',
    });
    // The tax was recorded under the crossing's reference: recording it again is refused.
    const again = await stack.stripe.tax.calculations.create({
      currency: 'usd',
      customer: s.stripeCustomerId,
      line_items: [{ amount: 1900, reference: small.id, tax_behavior: 'exclusive' }],
    });
    await expect(
      stack.stripe.tax.transactions.createFromCalculation({
        calculation: again.id!,
        reference: `topup:${intent!.metadata['crossing'] ?? ''}`,
      }),
    ).rejects.toMatchObject({ statusCode: 400 });
  });

  it('limits how often a caller saves auto top-up, since a save may charge the card', async () => {
    const s = await subscriber('saver');
    const small = await pack();
    const statuses: number[] = [];
    for (let i = 0; i < STRIPE_LIMIT + 2; i++) {
      const r = await s.call('PUT', '/billing/credits/auto-top-up', {
        enabled: false,
        threshold: 100 + i,
        pack_id: small.id,
      });
      statuses.push(r.status);
      if (r.status === 429) {
        expect(r.body.error).toMatchObject({ code: 'rate_limited', details: { class: 'stripe' } });
        break;
      }
    }
    expect(statuses.at(-1)).toBe(429);
    expect(statuses.slice(0, -1).every((code) => code === 200)).toBe(true);
  });
});

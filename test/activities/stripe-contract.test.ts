import { MockActivityEnvironment } from '@temporalio/testing';
import Stripe from 'stripe';
import { createActivities } from '../../activities';
import { voidRefundedSoFar, type TopUpOutcome } from '../../activities/credits';
import { priceTopUp, recordTopUpTax } from '../../activities/credits/top-up-tax';
import { syncCatalog } from '../../integrations/stripe/catalog-sync';
import { stripeCouponParams } from '../../integrations/stripe/coupon-sync';
import { issueCreditNote } from '../../activities/stripe/credit-notes';
import { chargeIdOfInvoice, readInvoiceMoney } from '../../activities/stripe/invoice-money';
import { requestInvoicePayment } from '../../activities/stripe/invoices';
import { createLogger } from '../../config/logger';
import { CouponRow, CreditPack, CreditSettings, Customer, PaymentMethod, Plan } from '../../db/entities';
import { newId } from '../../db/ids';
import { sqlFor } from '../../db/raw-sql';
import { createUsageActivities } from '../../activities/usage';
import { openTestDatabase } from '../helpers/db';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { startStripeMock } = require('../../tools/stripe-mock') as {
  startStripeMock: (opts?: {
    log?: (m: string) => void;
  }) => Promise<{ url: string; port: number; stop(): Promise<void> }>;
};

/**
 * Every Stripe call the engine makes, sent by the engine's own code to Stripe's official stripe-mock,
 * which checks each request against Stripe's OpenAPI spec and refuses what the real API would refuse.
 */
describe('Stripe calls of the engine, checked by stripe-mock', () => {
  let mock: Awaited<ReturnType<typeof startStripeMock>>;
  let db: Awaited<ReturnType<typeof openTestDatabase>>;
  let stripe: Stripe;
  const seen: { method: string; path: string; status: number }[] = [];

  beforeAll(async () => {
    [mock, db] = await Promise.all([startStripeMock({ log: () => undefined }), openTestDatabase('sqlite')]);
    stripe = new Stripe('sk_test_contract', {
      host: '127.0.0.1',
      port: mock.port,
      protocol: 'http',
      maxNetworkRetries: 0,
    });
    stripe.on('response', (r) =>
      seen.push({ method: r.method, path: r.path.split('?')[0] as string, status: r.status }),
    );
  }, 600_000);
  afterAll(async () => {
    await mock?.stop();
    await db?.close();
  });

  it('accepts every request of every Stripe activity and of the catalog sync', async () => {
    const acts = createActivities({ orm: db.orm, logger: createLogger('silent', 'test'), stripe });
    const env = new MockActivityEnvironment();
    const em = db.orm.em.fork();
    const customer = em.create(Customer, {
      id: newId('cust'),
      userId: 'u-contract',
      email: 'contract@example.com',
    });
    await em.flush();

    const callsOf = async (run: () => Promise<unknown>) => {
      const from = seen.length;
      await run();
      return seen.slice(from).map((c) => `${c.method} ${c.path}`);
    };
    let stripeCustomerId = '';
    // A customer made within Stripe's day of idempotency keys: the keyed create alone, no look first.
    expect(
      await callsOf(async () => (stripeCustomerId = await env.run(acts.ensureStripeCustomer, customer.id))),
    ).toEqual(['POST /v1/customers']);
    // One made earlier than that: its key may be forgotten, so it looks for one carrying our id first.
    const older = em.create(Customer, {
      id: newId('cust'),
      userId: 'u-contract-older',
      email: 'contract-older@example.com',
      createdAt: new Date(Date.now() - 2 * 24 * 60 * 60 * 1000),
    });
    await em.flush();
    expect(await callsOf(() => env.run(acts.ensureStripeCustomer, older.id))).toEqual([
      'GET /v1/customers',
      'POST /v1/customers',
    ]);
    await env.run(acts.createCheckoutSession, {
      subscriptionId: 'subs_contract',
      stripeCustomerId,
      priceId: 'price_123',
      usagePriceId: 'price_usage_123',
      trialDays: 7,
      successUrl: 'https://example.com/ok',
      cancelUrl: 'https://example.com/no',
    });
    // The trial tier: $1.00 charged at signup as a one-time line beside the trial's recurring price.
    await env.run(acts.createCheckoutSession, {
      subscriptionId: 'subs_contract_trial',
      stripeCustomerId,
      priceId: 'price_trial_123',
      trialDays: 7,
      signupFee: { amountCents: 100, currency: 'usd', stripeProductId: 'prod_trial_123' },
      successUrl: 'https://example.com/ok',
      cancelUrl: 'https://example.com/no',
    });
    // With STRIPE_TAX: Checkout collects the address and tax ids, and Stripe Tax computes tax, for a
    // subscription in euros and for a credit pack.
    const taxed = createActivities({
      orm: db.orm,
      logger: createLogger('silent', 'test'),
      stripe,
      stripeTax: true,
    });
    await env.run(taxed.createCheckoutSession, {
      subscriptionId: 'subs_contract_tax',
      stripeCustomerId,
      priceId: 'price_eur_123',
      usagePriceId: 'price_usage_eur_123',
      trialDays: 0,
      successUrl: 'https://example.com/ok',
      cancelUrl: 'https://example.com/no',
    });
    await env.run(taxed.createCreditCheckoutSession, {
      customerId: customer.id,
      stripeCustomerId,
      pack: {
        packId: 'pack_tax',
        name: 'Boost',
        credits: 100,
        priceCents: 1800,
        currency: 'eur',
        expiresAfterDays: null,
      },
      successUrl: 'https://example.com/ok',
      cancelUrl: 'https://example.com/no',
    });
    // A trial-tier trial ends at its own end in Stripe unless converted (converting, below, unsets it).
    await env.run(acts.setCancelAt, {
      stripeSubscriptionId: 'sub_123',
      at: '2026-12-01T00:00:00.000Z',
      changeKey: 'contract-trial-ends',
    });
    // One trial per card: the paying card's fingerprint, read with its payment method expanded.
    await env.run(acts.claimTrialCard, {
      subscriptionId: 'subs_contract_trial',
      stripeSubscriptionId: 'sub_123',
    });
    await env.run(acts.createPortalSession, { stripeCustomerId, returnUrl: 'https://example.com/billing' });
    await env.run(acts.fetchSubscription, 'sub_123');
    await env.run(acts.changeSubscriptionPrice, {
      stripeSubscriptionId: 'sub_123',
      itemId: 'si_123',
      priceId: 'price_456',
      usageItemId: 'si_usage_123',
      usagePriceId: 'price_usage_456',
      prorationBehavior: 'always_invoice' as const,
      changeKey: 'contract-1',
    });
    // Onto a plan without overage: the metered item goes.
    await env.run(acts.changeSubscriptionPrice, {
      stripeSubscriptionId: 'sub_123',
      itemId: 'si_123',
      priceId: 'price_789',
      usageItemId: 'si_usage_123',
      usagePriceId: null,
      prorationBehavior: 'none' as const,
      changeKey: 'contract-1b',
    });
    // A trial's chosen continuation: the price changes and the trial ends in one request.
    await env.run(acts.changeSubscriptionPrice, {
      stripeSubscriptionId: 'sub_123',
      itemId: 'si_123',
      priceId: 'price_456',
      prorationBehavior: 'none' as const,
      changeKey: 'contract-1c',
      endTrialNow: true,
    });
    // An upgrade with a promotion code, and an admin's coupon put on and taken off.
    await env.run(acts.changeSubscriptionPrice, {
      stripeSubscriptionId: 'sub_123',
      itemId: 'si_123',
      priceId: 'price_456',
      prorationBehavior: 'always_invoice' as const,
      changeKey: 'contract-1d',
      promotionCodeId: 'promo_123',
    });
    await env.run(acts.setDiscount, {
      stripeSubscriptionId: 'sub_123',
      couponId: 'launch20',
      changeKey: 'c-1',
    });
    await env.run(acts.setDiscount, { stripeSubscriptionId: 'sub_123', couponId: null, changeKey: 'c-2' });
    await env.run(acts.setCancelAtPeriodEnd, {
      stripeSubscriptionId: 'sub_123',
      cancel: true,
      changeKey: 'c-2',
    });
    await env.run(acts.setPaused, { stripeSubscriptionId: 'sub_123', paused: true, changeKey: 'c-3' });
    await env.run(acts.setPaused, { stripeSubscriptionId: 'sub_123', paused: false, changeKey: 'c-4' });
    await env.run(acts.cancelSubscriptionNow, { stripeSubscriptionId: 'sub_123', changeKey: 'c-5' });
    await env.run(acts.fetchInvoice, 'in_123');
    await env.run(acts.payInvoice, { stripeInvoiceId: 'in_123', attempt: 1 });
    // stripe-mock's invoice is not open, so the activity stops short of paying; send its payment request too.
    await requestInvoicePayment(stripe, 'in_123', 1);
    // Dunning's retry with a card just added names that card.
    await requestInvoicePayment(stripe, 'in_123', 2, 'pm_123');
    await env.run(acts.attachPaymentMethod, {
      customerId: customer.id,
      paymentMethodId: 'pm_123',
      makeDefault: true,
    });
    // The customer's own card management: another card made the one that pays, a card removed, and a
    // setup-mode Checkout page to add one.
    await env.run(acts.setDefaultPaymentMethod, {
      customerId: customer.id,
      paymentMethodId: 'pm_123',
      requestId: 'contract-default-1',
    });
    await env.run(acts.createCardSetupSession, {
      stripeCustomerId,
      currency: 'usd',
      successUrl: 'https://app.example.com/billing/payment-methods?card_setup={CHECKOUT_SESSION_ID}',
      cancelUrl: 'https://app.example.com/billing/payment-methods?card_setup=canceled',
    });
    await env.run(acts.detachPaymentMethod, { customerId: customer.id, paymentMethodId: 'pm_123' });
    // Credits: a pack's Checkout page, the paid session read back, and an automatic top-up's off-session
    // charge of the card on file.
    const pack = {
      packId: 'pack_contract',
      name: '1,000 credits',
      credits: 1000,
      priceCents: 1900,
      currency: 'usd',
      expiresAfterDays: 365,
    };
    await env.run(acts.createCreditCheckoutSession, {
      customerId: customer.id,
      stripeCustomerId,
      pack,
      successUrl: 'https://app.example.com/billing/credits?purchase={CHECKOUT_SESSION_ID}',
      cancelUrl: 'https://app.example.com/billing/credits?purchase=canceled',
    });
    await env.run(acts.grantPurchasedCredits, 'cs_test_123');
    // What a grant reads of its charge's refunds so far (stripe-mock's session is no purchase of ours).
    await voidRefundedSoFar(stripe, db.orm.em.fork(), 'pi_123');
    const cem = db.orm.em.fork();
    const creditPack = cem.create(CreditPack, {
      id: newId('pack'),
      code: 'contract',
      name: pack.name,
      credits: pack.credits,
      priceCents: pack.priceCents,
      planCodes: [],
      createdAt: new Date(),
      updatedAt: new Date(),
    });
    cem.create(PaymentMethod, {
      id: newId('pm'),
      customer: customer.id,
      stripePaymentMethodId: 'pm_contractTopUp',
      isDefault: true,
      createdAt: new Date(),
    });
    cem.create(CreditSettings, {
      customerId: customer.id,
      autoTopUpEnabled: true,
      autoTopUpThreshold: 100,
      autoTopUpPackId: creditPack.id,
      updatedAt: new Date(),
    });
    await cem.flush();
    const topUp: TopUpOutcome = await env.run(acts.chargeTopUp, {
      customerId: customer.id,
      crossingKey: 'contract',
      attempt: 1,
    });
    // stripe-mock answers its fixture intent, which is not `succeeded`: the charge was sent, and nothing is
    // granted on a payment Stripe has not called paid.
    expect(topUp).toMatchObject({
      status: 'pending',
      grantId: null,
      reason: expect.stringMatching(/not paid/),
    });
    // A plan sold in euros too: its prices in euros, found or made by their own lookup keys.
    await db.orm.em.fork().nativeUpdate(
      Plan,
      { code: 'professional' },
      {
        currencyPrices: {
          eur: { priceMonthlyCents: 4500, priceYearlyCents: 45000, overagePer1kCents: 9, rateCard: [] },
        },
      },
    );
    await syncCatalog(stripe, db.orm);
    expect(seen.filter((r) => r.method === 'POST' && r.path === '/v1/prices').length).toBeGreaterThan(0);
    // A plan priced per seat with volume discounts: its prices are tiered, in every cycle and currency.
    const pricesBefore = seen.filter((r) => r.method === 'POST' && r.path === '/v1/prices').length;
    await db.orm.em
      .fork()
      .nativeUpdate(
        Plan,
        { code: 'professional' },
        { seatMin: 1, seatTiers: { mode: 'graduated', bands: [{ fromSeat: 11, percentOff: 20 }] } },
      );
    await syncCatalog(stripe, db.orm);
    expect(seen.filter((r) => r.method === 'POST' && r.path === '/v1/prices').length).toBeGreaterThan(
      pricesBefore,
    );
    // A coupon for some plans only is made with those plans' products (applies_to), a percentage and an
    // amount in two currencies alike. (stripe-mock finds every coupon id, so the sync keeps them: sent here.)
    const restricted = (over: Partial<CouponRow>): CouponRow =>
      Object.assign(new CouponRow(), {
        id: 'starter50',
        name: 'Starter half',
        percentOffBp: 5000,
        amountOff: null,
        duration: 'forever',
        plans: ['starter'],
        ...over,
      });
    await stripe.coupons.create(stripeCouponParams(restricted({}), ['prod_123']));
    await stripe.coupons.create(
      stripeCouponParams(
        restricted({
          id: 'five-off',
          percentOffBp: null,
          amountOff: { usd: 500, eur: 500 },
          duration: 'repeating',
          durationInMonths: 3,
        }),
        ['prod_123', 'prod_456'],
      ),
    );
    // The rated usage cost of a period, as the rollup tells the cost meter.
    const usageSql = sqlFor(db.orm.em.fork());
    const windowStart = new Date(Date.now() - 3_600_000);
    await usageSql.run(
      `insert into usage_rollups (id, customer_id, type, line_key, period_start, window_start, window_end, quantity,
         identifier, created_at)
       values (?, ?, 'inference', '*', ?, ?, ?, 1500, ?, ?)`,
      [
        newId('urol'),
        customer.id,
        usageSql.date(new Date(Date.now() - 86_400_000)),
        usageSql.date(windowStart),
        usageSql.date(new Date(windowStart.getTime() + 300_000)),
        `${customer.id}:inference:contract`,
        usageSql.date(new Date()),
      ],
    );
    const usage = createUsageActivities({ orm: db.orm, logger: createLogger('silent', 'test'), stripe });
    expect(await usage.reportRollupsToStripe()).toMatchObject({ reported: 1, failed: 0 });
    // Money back on an invoice: the reads that count what is left (stripe-mock's invoice is no paid one,
    // so the activity would stop before them), and credit notes after and before payment as it sends them.
    await env.run(acts.syncCharge, 'ch_123');
    await env.run(acts.syncCreditNote, 'cn_123');
    const money = await readInvoiceMoney(stripe, db.orm.em.fork(), 'in_123');
    expect(money.invoice.object).toBe('invoice');
    await chargeIdOfInvoice(stripe, db.orm.em.fork(), 'in_123');
    for (const afterPayment of [true, false]) {
      const note = await issueCreditNote(stripe, {
        stripeInvoiceId: 'in_123',
        amountCents: 500,
        afterPayment,
        reason: 'order_change',
        memo: 'goodwill',
        request: 'a'.repeat(32),
        actorId: 'admin-1',
        idempotencyKey: `contract-credit-note-${afterPayment}`,
      });
      expect(note.object).toBe('credit_note');
    }

    const rejected = seen.filter((r) => r.status >= 400);
    expect(rejected).toEqual([]);
    const endpoints = new Set(
      seen.map(
        (r) =>
          `${r.method} ${r.path.replace(/\/(cus|sub|in|pm|si|price|prod|ch|cn|pi|re|cs_test)_[A-Za-z0-9]+/g, '/:id')}`,
      ),
    );
    for (const e of [
      'GET /v1/customers',
      'POST /v1/customers',
      'POST /v1/customers/:id',
      'POST /v1/checkout/sessions',
      'GET /v1/checkout/sessions/:id',
      'POST /v1/payment_intents',
      'GET /v1/payment_intents/:id',
      'POST /v1/billing_portal/sessions',
      'GET /v1/subscriptions/:id',
      'POST /v1/subscriptions/:id',
      'DELETE /v1/subscriptions/:id',
      'GET /v1/subscriptions',
      'GET /v1/invoices/:id',
      'POST /v1/invoices/:id/pay',
      'POST /v1/prices',
      'POST /v1/products',
      'POST /v1/billing/meters',
      'POST /v1/payment_methods/:id/attach',
      'GET /v1/payment_methods/:id',
      'POST /v1/payment_methods/:id/detach',
      'GET /v1/products',
      'GET /v1/prices',
      'GET /v1/billing/meters',
      'POST /v1/billing/meter_events',
      'GET /v1/charges/:id',
      'GET /v1/credit_notes',
      'GET /v1/credit_notes/:id',
      'POST /v1/credit_notes',
      'POST /v1/coupons',
    ]) {
      expect(endpoints).toContain(e);
    }
  });

  it('accepts the tax a top-up prices and records with Stripe Tax', async () => {
    const price = await priceTopUp(stripe, true, {
      stripeCustomerId: 'cus_contract_tax',
      priceCents: 1900,
      currency: 'usd',
      packId: 'pack_contract',
    });
    expect(price.calculationId).toEqual(expect.any(String));
    await recordTopUpTax(stripe, price, 'cust_contract:none:1');
    expect(seen.map((r) => `${r.method} ${r.path} ${r.status}`)).toEqual(
      expect.arrayContaining([
        'POST /v1/tax/calculations 200',
        'POST /v1/tax/transactions/create_from_calculation 200',
      ]),
    );
  });

  it('is a real check: stripe-mock refuses a parameter Stripe does not have', async () => {
    await expect(
      stripe.subscriptions.update('sub_123', {
        not_a_stripe_param: true,
      } as unknown as Stripe.SubscriptionUpdateParams),
    ).rejects.toThrow(/additional properties are not allowed|unknown parameter/);
  });
});

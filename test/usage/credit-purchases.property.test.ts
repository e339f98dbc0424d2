import fc from 'fast-check';
import type Stripe from 'stripe';
import { createCreditActivities } from '../../activities/credits';
import { voidRefundedCredits } from '../../activities/credits/refunds';
import { createLogger } from '../../config/logger';
import { addMovement, readLedger } from '../../db/credit-ledger';
import { dueTopUpCrossing } from '../../db/credit-top-up-due';
import { CreditPack, CreditSettings, Customer, PaymentMethod } from '../../db/entities';
import { newId } from '../../db/ids';
import { sqlFor } from '../../db/raw-sql';
import { creditBalance, remainingByGrant } from '../../domain/credit-ledger';
import { createStripeClient } from '../../integrations/stripe/client';
import { creditPurchaseMetadata } from '../../integrations/stripe/credit-purchase-metadata';
import { customerCredits } from '../../services/credits/customer-credits';
import { packTerms } from '../../services/credits/purchase';
import { startStripeEmulator, type StripeEmulator } from '../../tools/stripe-emulator';
import { openTestDatabase } from '../helpers/db';

/** A top-up below this balance buys the top-up pack. */
const THRESHOLD = 300;
const TOP_UP = { credits: 400, priceCents: 800 };

/** One payment that bought credits, as the model keeps it: what Stripe holds and what the ledger should. */
interface Bought {
  paymentIntentId: string;
  sessionId: string | null;
  credits: number;
  priceCents: number;
  refundedCents: number;
  /** Null until its Stripe event is delivered (a top-up is granted at once). */
  grantId: string | null;
  left: number;
  voidedForRefunds: number;
}

/** What the engine should hold, by rules written out plainly here, not by the engine's domain code. */
interface Model {
  bought: Bought[];
  /** Checkout sessions paid whose Stripe event may not have come yet, in the order they were paid. */
  pending: Bought[];
}

const balanceOf = (m: Model) => m.bought.reduce((n, b) => n + (b.grantId ? b.left : 0), 0);
/** A refund takes back the refunded share of the credits, rounded up; what is used stays used. */
function takeBackForRefunds(b: Bought): void {
  if (!b.grantId || b.refundedCents === 0) return;
  const share =
    b.refundedCents >= b.priceCents ? b.credits : Math.ceil((b.credits * b.refundedCents) / b.priceCents);
  const now = Math.max(0, Math.min(share - b.voidedForRefunds, b.left));
  b.left -= now;
  b.voidedForRefunds += now;
}

const step = fc.oneof(
  {
    weight: 3,
    arbitrary: fc
      .record({ credits: fc.integer({ min: 50, max: 600 }), priceCents: fc.integer({ min: 50, max: 3000 }) })
      .map((p) => ({ kind: 'buy' as const, ...p })),
  },
  {
    weight: 3,
    arbitrary: fc
      .record({ n: fc.nat(), times: fc.integer({ min: 1, max: 3 }) })
      .map((d) => ({ kind: 'deliver' as const, ...d })),
  },
  {
    weight: 2,
    arbitrary: fc
      .record({ n: fc.nat(), share: fc.constantFrom(0.1, 0.5, 1), mirrors: fc.integer({ min: 1, max: 2 }) })
      .map((r) => ({ kind: 'refund' as const, ...r })),
  },
  {
    weight: 2,
    arbitrary: fc
      .record({ n: fc.nat(), amount: fc.integer({ min: 1, max: 400 }) })
      .map((s) => ({ kind: 'spend' as const, ...s })),
  },
  {
    weight: 2,
    arbitrary: fc.integer({ min: 1, max: 2 }).map((starts) => ({ kind: 'top-up' as const, starts })),
  },
);

/**
 * Buying credits under any sequence: Checkout purchases whose Stripe events come late, twice or out of order,
 * refunds (mirrored once or twice, before or after the grant), credits spent, and automatic top-ups
 * started once or twice per crossing. After every step the ledger, the balance and what Stripe charged
 * equal the model's, to the credit and the cent.
 */
describe.each(['sqlite', 'postgresql'] as const)('buying credits under any sequence (%s)', (dialect) => {
  let db: Awaited<ReturnType<typeof openTestDatabase>>;
  let emulator: StripeEmulator;
  let stripe: Stripe;
  let activities: ReturnType<typeof createCreditActivities>;
  let pack: CreditPack;
  let topUpPack: CreditPack;

  beforeAll(async () => {
    [db, emulator] = await Promise.all([openTestDatabase(dialect), startStripeEmulator({ port: 0 })]);
    stripe = createStripeClient({ apiBase: emulator.url }) as Stripe;
    activities = createCreditActivities({ orm: db.orm, logger: createLogger('silent', 'test'), stripe });
    const em = db.orm.em.fork();
    const makePack = (code: string, credits: number, priceCents: number) =>
      em.create(CreditPack, {
        id: newId('pack'),
        code: `${code}-${dialect}`,
        name: `${credits} credits`,
        credits,
        priceCents,
        currency: 'usd',
        planCodes: [],
        active: true,
        createdAt: new Date(),
        updatedAt: new Date(),
      });
    pack = makePack('property', 100, 100);
    topUpPack = makePack('property-top-up', TOP_UP.credits, TOP_UP.priceCents);
    await em.flush();
  });
  afterAll(async () => {
    await emulator?.stop();
    await db?.close();
  });

  let run = 0;
  it('grants each paid purchase once, voids what refunds take back, tops up once per crossing, and Stripe charged what the model did', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 12 }), async (steps) => {
        run++;
        const stripeCustomer = await stripe.customers.create({
          email: `buyer-${dialect}-${run}@example.com`,
        });
        const card = await stripe.paymentMethods.attach('pm_card_visa', { customer: stripeCustomer.id });
        const em = db.orm.em.fork();
        const customer = em.create(Customer, {
          id: newId('cust'),
          userId: `kc-buyer-${dialect}-${run}`,
          email: `buyer-${dialect}-${run}@example.com`,
          stripeCustomerId: stripeCustomer.id,
        });
        em.create(PaymentMethod, {
          id: newId('pm'),
          customer,
          stripePaymentMethodId: card.id,
          isDefault: true,
          createdAt: new Date(),
        });
        em.create(CreditSettings, {
          customerId: customer.id,
          autoTopUpEnabled: true,
          autoTopUpThreshold: THRESHOLD,
          autoTopUpPackId: topUpPack.id,
          updatedAt: new Date(),
        });
        await em.flush();
        const sql = sqlFor(db.orm.em.fork());
        const m: Model = { bought: [], pending: [] };

        for (const s of steps) {
          if (s.kind === 'buy') {
            const metadata = creditPurchaseMetadata(customer.id, {
              ...packTerms(pack, pack.currency, pack.priceCents),
              credits: s.credits,
              priceCents: s.priceCents,
              expiresAfterDays: null,
            });
            const session = await stripe.checkout.sessions.create({
              mode: 'payment',
              customer: stripeCustomer.id,
              line_items: [
                {
                  price_data: {
                    currency: 'usd',
                    product_data: { name: 'credits' },
                    unit_amount: s.priceCents,
                  },
                  quantity: 1,
                },
              ],
              payment_intent_data: { metadata },
              metadata,
              success_url: 'https://app.example/billing/credits',
            });
            emulator.completeCheckoutSession(session.id, { cardNumber: '4242424242424242' });
            const paid = await stripe.checkout.sessions.retrieve(session.id);
            const b: Bought = {
              paymentIntentId: paid.payment_intent as string,
              sessionId: session.id,
              credits: s.credits,
              priceCents: s.priceCents,
              refundedCents: 0,
              grantId: null,
              left: 0,
              voidedForRefunds: 0,
            };
            m.bought.push(b);
            m.pending.push(b);
          } else if (s.kind === 'deliver' && m.pending.length > 0) {
            // Any pending purchase, not the oldest: Stripe events come out of order; and some come again.
            const b = m.pending.splice(s.n % m.pending.length, 1)[0]!;
            for (let i = 0; i < s.times; i++) {
              const granted = await activities.grantPurchasedCredits(b.sessionId!);
              expect(granted).toMatchObject({ granted: true, credits: b.credits });
              if (!b.grantId) {
                b.grantId = granted.grantId;
                b.left = b.credits;
                takeBackForRefunds(b);
              }
              expect(granted.grantId).toBe(b.grantId);
            }
            // A late delivery of one already granted grants nothing more.
            if (s.n % 2 === 0) await activities.grantPurchasedCredits(b.sessionId!);
          } else if (s.kind === 'refund' && m.bought.length > 0) {
            const b = m.bought[s.n % m.bought.length]!;
            const amount = Math.min(
              b.priceCents - b.refundedCents,
              Math.max(1, Math.floor(b.priceCents * s.share)),
            );
            if (amount > 0) {
              await stripe.refunds.create({ payment_intent: b.paymentIntentId, amount });
              b.refundedCents += amount;
              for (let i = 0; i < s.mirrors; i++) {
                await voidRefundedCredits(db.orm.em.fork(), {
                  paymentIntentId: b.paymentIntentId,
                  amountCents: b.priceCents,
                  amountRefundedCents: b.refundedCents,
                });
              }
              takeBackForRefunds(b);
            }
          } else if (s.kind === 'spend') {
            const live = m.bought.filter((b) => b.grantId && b.left > 0);
            if (live.length > 0) {
              const b = live[s.n % live.length]!;
              const amount = Math.min(b.left, s.amount);
              await addMovement(sql, {
                customerId: customer.id,
                grantId: b.grantId!,
                kind: 'void',
                amount,
                at: new Date(),
                sourceKey: `spend:${b.grantId}:${b.left}`,
              });
              b.left -= amount;
            }
          } else if (s.kind === 'top-up') {
            const crossing = await dueTopUpCrossing(db.orm.em.fork(), customer.id, new Date());
            expect(crossing !== null).toBe(balanceOf(m) < THRESHOLD);
            if (crossing) {
              let grantId: string | null = null;
              for (let i = 0; i < s.starts; i++) {
                const outcome = await activities.chargeTopUp({
                  customerId: customer.id,
                  crossingKey: crossing,
                  attempt: 1,
                });
                expect(outcome.status).toBe('charged');
                grantId ??= outcome.grantId;
                expect(outcome.grantId).toBe(grantId);
              }
              m.bought.push({
                paymentIntentId: (await readLedger(sql, customer.id)).grants.find((g) => g.id === grantId)!
                  .stripeObjectId!,
                sessionId: null,
                credits: TOP_UP.credits,
                priceCents: TOP_UP.priceCents,
                refundedCents: 0,
                grantId,
                left: TOP_UP.credits,
                voidedForRefunds: 0,
              });
            }
          }

          // The ledger, the balance and Stripe agree with the model after every step.
          const ledger = await readLedger(sql, customer.id);
          const left = remainingByGrant(ledger.grants, ledger.movements);
          const granted = m.bought.filter((b) => b.grantId);
          expect(ledger.grants.map((g) => g.id).sort()).toEqual(granted.map((b) => b.grantId).sort());
          for (const b of granted)
            expect({ grant: b.grantId, left: left.get(b.grantId!) }).toEqual({
              grant: b.grantId,
              left: b.left,
            });
          for (const v of left.values()) expect(v).toBeGreaterThanOrEqual(0);
          expect(creditBalance(ledger.grants, ledger.movements, new Date())).toBe(balanceOf(m));
          // …and so does the balance the API answers (GET /billing/credits).
          expect((await customerCredits(db.orm.em.fork(), customer.id, new Date())).balance).toBe(
            balanceOf(m),
          );
          const charges = await stripe.charges.list({ customer: stripeCustomer.id, limit: 100 });
          const net = charges.data
            .filter((c) => c.status === 'succeeded')
            .reduce((n, c) => n + c.amount - c.amount_refunded, 0);
          expect(net).toBe(m.bought.reduce((n, b) => n + b.priceCents - b.refundedCents, 0));
        }
      }),
      {
        numRuns: 25,
        // Always among the runs: a refund mirrored before its purchase's Stripe event came, then the event.
        examples: [
          [
            [
              { kind: 'buy', credits: 500, priceCents: 1000 },
              { kind: 'refund', n: 0, share: 0.5, mirrors: 1 },
              { kind: 'deliver', n: 0, times: 1 },
            ],
          ],
        ],
      },
    );
  });
});

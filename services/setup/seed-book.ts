import { createHash } from 'node:crypto';
import type { MikroORM } from '@mikro-orm/core';
import type Stripe from 'stripe';
import type { PlanPrice } from '../../db/plan-prices';
import { activeSubscriptionsOf, subscribedAlready } from '../../db/seeded-book';
import type { Identity } from '../../domain/identity';
import { reportUsage } from '../usage/report-usage';
import { resolvePlanPrice } from '../subscriptions/plan-price';
import { onboardCustomer } from '../customers/onboard';

export interface BookDeps {
  orm: MikroORM;
  stripe: Stripe;
}

/**
 * One subscriber made the engine's own way, fast: the customer onboarded as a sign-in onboards them (with
 * their Stripe customer), the subscription made in Stripe directly with a card on file, as in Stripe's
 * dashboard; Stripe's webhooks then make the engine start the subscription's workflow.
 */
export async function makeSubscriber(
  deps: BookDeps,
  userId: string,
  price: Pick<PlanPrice, 'priceId' | 'usagePriceId'>,
): Promise<Stripe.Subscription> {
  const record = await onboardCustomer(deps, { userId, email: `${userId}@example.com`, name: userId });
  if (!record.stripeCustomerId) throw new Error(`customer ${userId} has no Stripe customer`);
  return deps.stripe.subscriptions.create({
    customer: record.stripeCustomerId,
    items: [{ price: price.priceId }, ...(price.usagePriceId ? [{ price: price.usagePriceId }] : [])],
    default_payment_method: 'pm_card_visa',
  });
}

/**
 * A book of `subscriptions` live subscribers of `plan` (monthly), `prefix-1` to `prefix-N`, made
 * `concurrency` at a time; a customer who already holds one is left alone, so a second run makes only
 * what is missing. Answers once the engine holds every one of them as active.
 */
export async function seedBook(
  deps: BookDeps,
  opts: {
    subscriptions: number;
    plan: string;
    prefix: string;
    concurrency?: number;
    onProgress?: (made: number) => void;
  },
): Promise<{ made: number; already: number; active: number }> {
  const price = await resolvePlanPrice(deps.orm.em.fork(), opts.plan, 'monthly');
  const already = await subscribedAlready(deps.orm.em.fork(), opts.prefix);
  const todo = Array.from({ length: opts.subscriptions }, (_, i) => `${opts.prefix}-${i + 1}`).filter(
    (u) => !already.has(u),
  );
  let made = 0;
  let next = 0;
  const worker = async () => {
    while (next < todo.length) {
      const userId = todo[next++] as string;
      await makeSubscriber(deps, userId, price);
      made++;
      if (made % 100 === 0) opts.onProgress?.(made);
    }
  };
  await Promise.all(Array.from({ length: opts.concurrency ?? 16 }, worker));
  // Webhooks make the workflows: each is active once its first invoice is paid.
  // A stopwatch, not business time: how long the engine may take to catch up.
  const deadline = performance.now() + 300_000 + 2_000 * todo.length;
  let active = await activeSubscriptionsOf(deps.orm.em.fork(), opts.prefix);
  while (active < opts.subscriptions) {
    if (performance.now() > deadline)
      throw new Error(`only ${active} of ${opts.subscriptions} subscriptions became active in the engine`);
    await new Promise((r) => setTimeout(r, 1000));
    active = await activeSubscriptionsOf(deps.orm.em.fork(), opts.prefix);
  }
  return { made, already: opts.subscriptions - todo.length, active };
}

/** The models a seeded book's calls go to, with the share of calls each gets (out of 10). */
const SEEDED_MODELS: [string, number][] = [
  ['gpt-4o', 3],
  ['gpt-4o-mini', 3],
  ['claude-sonnet-4', 2],
  ['claude-haiku-3.5', 1],
  ['gemini-2.5-flash', 1],
];

/**
 * The `n`th model call of a subscriber, the same on every run: a model, 1 to 10 credits of usage and its
 * token counts (500 to 5,499 in, up to a fifth of them cached, 100 to 1,599 out).
 */
export function seededCall(userId: string, n: number) {
  const h = createHash('sha256').update(`${userId}:${n}`).digest();
  const pick = h.readUInt8(0) % 10;
  let model = SEEDED_MODELS[0]![0];
  for (let left = pick, i = 0; i < SEEDED_MODELS.length; i++) {
    const [name, share] = SEEDED_MODELS[i]!;
    if (left < share) {
      model = name;
      break;
    }
    left -= share;
  }
  const input = 500 + (h.readUInt16BE(1) % 5000);
  return {
    model,
    quantity: 1 + (h.readUInt8(3) % 10),
    tokens: {
      input,
      cached: h.readUInt16BE(4) % Math.floor(input / 5),
      output: 100 + (h.readUInt16BE(6) % 1500),
    },
  };
}

/**
 * `perSubscriber` model calls of each subscriber of the book, reported as their own usage now (each with
 * its model and token counts, so a month's margins have something to show). Event ids are fixed, so a
 * second run adds nothing.
 */
export async function seedUsage(
  orm: MikroORM,
  opts: { subscriptions: number; prefix: string; perSubscriber: number; concurrency?: number },
): Promise<{ accepted: number; duplicate: number; rejected: number }> {
  const totals = { accepted: 0, duplicate: 0, rejected: 0 };
  let next = 1;
  const worker = async () => {
    while (next <= opts.subscriptions) {
      const userId = `${opts.prefix}-${next++}`;
      const identity: Identity = {
        sub: userId,
        email: `${userId}@example.com`,
        name: null,
        roles: [],
        role: 'viewer',
        expMs: 0,
      };
      const events = Array.from({ length: opts.perSubscriber }, (_, i) => {
        const call = seededCall(userId, i);
        return {
          index: i,
          eventId: `seed-call-${i}`,
          type: 'inference',
          quantity: call.quantity,
          timestamp: null,
          metadata: { model: call.model, tokens: call.tokens },
          byok: false,
          customerEmail: null,
          userId: null,
        };
      });
      const r = await reportUsage(orm.em.fork(), identity, { events, rejections: [] });
      totals.accepted += r.accepted;
      totals.duplicate += r.duplicate;
      totals.rejected += r.rejected;
    }
  };
  // Two at a time: more only queue on SQLite's one writer, and the alerts each report checks after it
  // then wait out the pool (a warning, nothing lost).
  await Promise.all(Array.from({ length: opts.concurrency ?? 2 }, worker));
  return totals;
}

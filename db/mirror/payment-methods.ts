import type { EntityManager } from '@mikro-orm/core';
import type Stripe from 'stripe';
import { Customer, PaymentMethod } from '../entities';
import { inTurn, lockKeys, readBool, sqlFor, type Sql } from '../raw-sql';
import { chargedCardToMarkDefault } from '../../domain/card-default';
import { newId } from '../ids';
import { date, inMirrorTransaction } from './shared';
import { systemClock, type Clock } from '../../domain/clock';

/**
 * One writer at a time decides a customer's cards from the mirror's own rows (a first card written from its
 * payload, a charged card marked default, a card made default): on PostgreSQL two such statements at once
 * each miss the other's uncommitted row, and a customer would get two first cards, or two defaults. SQLite
 * has one writer.
 */
export const lockCustomerCards = (sql: Sql, customerId: string) => lockKeys(sql, [`cards:${customerId}`]);

/**
 * Upserts a card into the mirror; `isDefault` follows the customer's invoice default. A default is written
 * under the lock of the customer's cards, the others' cleared in the same transaction: a subscription coming
 * to life at that moment (`markChargedCardDefault`) then either sees this default or is undone by it.
 */
export async function upsertPaymentMethod(
  em: EntityManager,
  customer: Customer,
  pm: Stripe.PaymentMethod,
  isDefault: boolean,
  /** Dates a card Stripe sent without its own date. */
  clock: Clock = systemClock,
): Promise<PaymentMethod> {
  if (!isDefault) {
    const row = await writeCard(em, customer, pm, clock);
    await em.flush();
    return row;
  }
  return em.transactional(async (tx) => {
    await lockCustomerCards(sqlFor(tx), customer.id);
    const row = await writeCard(tx, customer, pm, clock);
    // The row itself is left out: had it been default already, the update would clear it in the database
    // while the loaded row, unchanged, would not be written back.
    await tx.nativeUpdate(
      PaymentMethod,
      { customer, isDefault: true, stripePaymentMethodId: { $ne: pm.id } },
      { isDefault: false },
    );
    row.isDefault = true;
    await tx.flush();
    return row;
  });
}

/**
 * The customer's cards on file and which of them pays, as the mirror has them now: what a read of Stripe's
 * cards is checked against before it is written (`mirrorCustomerCards`).
 */
export async function cardsOnFile(sql: Sql, customerId: string): Promise<string> {
  const rows = await sql.run<{ stripe_payment_method_id: string; is_default: unknown }>(
    `select stripe_payment_method_id, is_default from payment_methods
     where customer_id = ? and detached_at is null`,
    [customerId],
  );
  return rows
    .map((r) => `${r.stripe_payment_method_id}${readBool(r.is_default) ? '*' : ''}`)
    .sort()
    .join(',');
}

/**
 * Writes a customer's cards as one read of Stripe found them, in one transaction under the lock of their
 * cards: each card, the one that pays (`defaultId`; null leaves the mirror's choice as it is) and those no
 * longer on file. Unless the mirror's cards changed since `seen` (`cardsOnFile`) was taken, before that read:
 * a card made the default meanwhile was written to Stripe first, so the read may predate it and would undo
 * the customer's choice (the card their next invoice is charged with). False then, writing nothing; the
 * caller reads Stripe again.
 */
export async function mirrorCustomerCards(
  em: EntityManager,
  customerId: string,
  read: { cards: readonly Stripe.PaymentMethod[]; defaultId: string | null; seen: string },
  clock: Clock = systemClock,
): Promise<boolean> {
  return em.fork().transactional(async (tx) => {
    const sql = sqlFor(tx);
    await lockCustomerCards(sql, customerId);
    if ((await cardsOnFile(sql, customerId)) !== read.seen) return false;
    const customer = tx.getReference(Customer, customerId);
    const pays = read.cards.some((pm) => pm.id === read.defaultId) ? read.defaultId : null;
    for (const pm of read.cards) {
      const row = await writeCard(tx, customer, pm, clock);
      if (pays) row.isDefault = pm.id === pays;
    }
    const present = new Set(read.cards.map((pm) => pm.id));
    for (const row of await tx.find(PaymentMethod, { customer, detachedAt: null }))
      if (!present.has(row.stripePaymentMethodId)) row.detachedAt = clock.now();
    await tx.flush();
    return true;
  });
}

/**
 * Marks a card the customer removed in Stripe as removed, under the lock of their cards: a read of their
 * cards taken before the removal then either sees it (`mirrorCustomerCards` reads Stripe again) or is
 * written first and undone by this.
 */
export async function markCardRemoved(
  em: EntityManager,
  customerId: string,
  stripePaymentMethodId: string,
  clock: Clock = systemClock,
): Promise<void> {
  await em.fork().transactional(async (tx) => {
    const sql = sqlFor(tx);
    await lockCustomerCards(sql, customerId);
    await sql.run(
      `update payment_methods set detached_at = coalesce(detached_at, ?), is_default = ?
       where stripe_payment_method_id = ? and customer_id = ?`,
      [sql.date(clock.now()), sql.bool(false), stripePaymentMethodId, customerId],
    );
  });
}

async function writeCard(
  em: EntityManager,
  customer: Customer,
  pm: Stripe.PaymentMethod,
  clock: Clock,
): Promise<PaymentMethod> {
  let row = await em.findOne(PaymentMethod, { stripePaymentMethodId: pm.id });
  if (!row) {
    row = em.create(PaymentMethod, {
      id: newId('pmt'),
      stripePaymentMethodId: pm.id,
      customer,
      createdAt: date(pm.created) ?? clock.now(),
    });
  }
  row.type = pm.type;
  row.brand = pm.card?.brand ?? null;
  row.last4 = pm.card?.last4 ?? null;
  row.expMonth = pm.card?.exp_month ?? null;
  row.expYear = pm.card?.exp_year ?? null;
  row.fingerprint = pm.card?.fingerprint ?? null;
  row.detachedAt = null;
  return row;
}

/**
 * Writes a card from the payload of the event that attached it, when that is all its row can be: a card the
 * mirror does not know, of a customer with no other card on file, never reported detached (Stripe's events
 * come out of order: a detachment received first means this payload is not the card's last word). Whether
 * it is the card that pays is Stripe's customer's to say (its invoice default), which the payload does not
 * carry: the row says not, until a subscription comes to life charging it (`markChargedCardDefault`) or the
 * customer's checkout or next card event reads the cards from Stripe. False, writing nothing, for any
 * other card (a run reads the customer's cards then).
 */
export async function mirrorFirstCard(
  em: EntityManager,
  customerId: string,
  pm: Stripe.PaymentMethod,
  clock: Clock = systemClock,
): Promise<boolean> {
  const row = [
    newId('pmt'),
    pm.id,
    customerId,
    pm.type,
    pm.card?.brand ?? null,
    pm.card?.last4 ?? null,
    pm.card?.exp_month ?? null,
    pm.card?.exp_year ?? null,
    pm.card?.fingerprint ?? null,
  ];
  // A fork of its own: the caller's pending changes are not this transaction's to flush. On PostgreSQL the
  // lock and the read ride with BEGIN, the insert with COMMIT: two round trips, where one a statement was
  // five, and the intake makes one at most sign-ups.
  const written = await inMirrorTransaction(em.fork(), async (sql, _tx, deferred) => {
    // The lock comes first, and the read in the statement after it, so it sees what its last holder committed.
    const [, [taken]] = await inTurn(
      sql,
      () => lockCustomerCards(sql, customerId),
      () =>
        sql.run(
          `select exists (select 1 from payment_methods
                          where stripe_payment_method_id = ? or (customer_id = ? and detached_at is null))
               or exists (select 1 from webhook_events where object_id = ? and type = 'payment_method.detached')
             as taken`,
          [pm.id, customerId, pm.id],
        ),
    );
    if (readBool(taken?.taken)) return null;
    const inserted = sql.run(
      `insert into payment_methods
         (id, stripe_payment_method_id, customer_id, type, brand, last4, exp_month, exp_year, fingerprint,
          is_default, created_at)
       values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       on conflict (stripe_payment_method_id) do nothing
       returning id`,
      [...row, sql.bool(false), sql.date(date(pm.created) ?? clock.now())],
    );
    deferred(inserted);
    return { inserted };
  });
  return written ? (await written.inserted).length > 0 : false;
}

/**
 * Marks the card a live subscription is charged with as the customer's default, unless one already is
 * (`chargedCardToMarkDefault`): a first card written from its payload says not (`mirrorFirstCard`), and
 * when a subscription comes to life charging it, that card is the one that pays.
 */
export async function markChargedCardDefault(
  em: EntityManager,
  customerId: string,
  stripePaymentMethodId: string,
): Promise<void> {
  // A fork of its own: the caller's pending changes (the subscription's new status) are flushed by the caller.
  // On PostgreSQL the lock and the read ride with BEGIN, the mark with COMMIT: two round trips, not five.
  await inMirrorTransaction(em.fork(), async (sql, _tx, deferred) => {
    // The lock comes first, and the read in the statement after it, so it sees what its last holder committed.
    const [, cards] = await inTurn(
      sql,
      () => lockCustomerCards(sql, customerId),
      () =>
        sql.run<{ stripe_payment_method_id: string; is_default: unknown }>(
          `select stripe_payment_method_id, is_default from payment_methods
           where customer_id = ? and detached_at is null`,
          [customerId],
        ),
    );
    const mark = chargedCardToMarkDefault(
      cards.map((c) => ({
        stripePaymentMethodId: c.stripe_payment_method_id,
        isDefault: readBool(c.is_default),
      })),
      stripePaymentMethodId,
    );
    if (mark)
      deferred(
        sql.run(
          `update payment_methods set is_default = ? where stripe_payment_method_id = ? and customer_id = ?`,
          [sql.bool(true), mark, customerId],
        ),
      );
  });
}

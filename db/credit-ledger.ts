import type { CreditGrant, CreditMovement, GrantSource, MovementKind } from '../domain/credit-ledger';
import { newId } from './ids';
import { chunks, lockKeys, num, postgresTextArray, readDate, type Sql } from './raw-sql';
import { spendCapFieldsOf, type SpendCapFields } from './credit-settings';

// Imports stay light: the usage ledger's writer thread (services/usage/ledger-transaction.ts) loads this module.

/** A grant as stored: the ledger's fields and where it came from. */
export interface StoredGrant extends CreditGrant {
  customerId: string;
  sourceKey: string;
  packId: string | null;
  stripeObjectId: string | null;
  reason: string | null;
  actor: string | null;
}

/** A movement as stored. */
export interface StoredMovement extends CreditMovement {
  id: string;
  customerId: string;
  periodStart: Date | null;
  sourceKey: string | null;
  reason: string | null;
  actor: string | null;
}

export interface NewGrant {
  customerId: string;
  amount: number;
  source: Exclude<GrantSource, 'included'>;
  priority?: number;
  effectiveAt: Date;
  expiresAt: Date | null;
  /** What it came from, once (see CreditGrant.sourceKey in db/entities/credit-grant.ts). */
  sourceKey: string;
  packId?: string | null;
  stripeObjectId?: string | null;
  reason?: string | null;
  actor?: string | null;
}

export interface NewMovement {
  customerId: string;
  grantId: string;
  kind: Exclude<MovementKind, 'draw'>;
  amount: number;
  at: Date;
  /** A retried expiry or void finds its movement by this key and adds nothing. */
  sourceKey: string;
  reason?: string | null;
  actor?: string | null;
}

type GrantRow = {
  id: string;
  customer_id: string;
  amount: number | string;
  source: GrantSource;
  priority: number | string;
  effective_at: unknown;
  expires_at: unknown;
  source_key: string;
  pack_id: string | null;
  stripe_object_id: string | null;
  reason: string | null;
  actor: string | null;
  created_at: unknown;
};

const GRANT_COLUMNS = `id, customer_id, amount, source, priority, effective_at, expires_at, source_key, pack_id,
  stripe_object_id, reason, actor, created_at`;

function grantOf(r: GrantRow): StoredGrant {
  return {
    id: r.id,
    customerId: r.customer_id,
    amount: num(r.amount),
    source: r.source,
    priority: num(r.priority),
    effectiveAt: readDate(r.effective_at),
    expiresAt: r.expires_at == null ? null : readDate(r.expires_at),
    sourceKey: r.source_key,
    packId: r.pack_id,
    stripeObjectId: r.stripe_object_id,
    reason: r.reason,
    actor: r.actor,
    createdAt: readDate(r.created_at),
  };
}

/** A customer's whole ledger: every grant and every movement, oldest first. */
export async function readLedger(
  sql: Sql,
  customerId: string,
): Promise<{ grants: StoredGrant[]; movements: StoredMovement[] }> {
  const [grants, movements] = await Promise.all([
    sql.read<GrantRow>(
      `select ${GRANT_COLUMNS} from credit_grants where customer_id = ? order by created_at, id`,
      [customerId],
    ),
    sql.read<{
      id: string;
      customer_id: string;
      grant_id: string;
      kind: MovementKind;
      amount: number | string;
      at: unknown;
      period_start: unknown;
      source_key: string | null;
      reason: string | null;
      actor: string | null;
    }>(
      `select id, customer_id, grant_id, kind, amount, at, period_start, source_key, reason, actor
     from credit_movements where customer_id = ? order by at, id`,
      [customerId],
    ),
  ]);
  return {
    grants: grants.map(grantOf),
    movements: movements.map((m) => ({
      id: m.id,
      customerId: m.customer_id,
      grantId: m.grant_id,
      kind: m.kind,
      amount: num(m.amount),
      at: readDate(m.at),
      periodStart: m.period_start == null ? null : readDate(m.period_start),
      sourceKey: m.source_key,
      reason: m.reason,
      actor: m.actor,
    })),
  };
}

/** A grant `g` that can be drawn at the instant bound twice after it: in effect and not yet expired. */
const DRAWABLE_AT = 'g.effective_at <= ? and (g.expires_at is null or g.expires_at > ?)';

/**
 * A customer's grants that can still be drawn at `at`, each with one movement standing for everything
 * that left it so far: what the draw-down needs, in two short reads whatever the ledger's age.
 */
export async function readDrawableLedger(
  sql: Sql,
  customerId: string,
  at: Date,
): Promise<{ grants: StoredGrant[]; movements: CreditMovement[] }> {
  const rows = await sql.read<GrantRow & { moved: unknown }>(
    `select ${DRAWABLE_COLUMNS}
     from credit_grants g
     where g.customer_id = ? and ${DRAWABLE_AT}`,
    [customerId, sql.date(at), sql.date(at)],
  );
  return drawableOf(rows, at);
}

/**
 * readDrawableLedger for several customers in one statement (their ids as a PostgreSQL array; see
 * readUsageAccounts in credit-account.ts), by customer; a customer with no drawable grant is absent.
 */
export async function readDrawableLedgers(
  sql: Sql,
  customerIds: readonly string[],
  at: Date,
): Promise<Map<string, { grants: StoredGrant[]; movements: CreditMovement[] }>> {
  const rows = await sql.read<GrantRow & { moved: unknown }>(
    `select ${DRAWABLE_COLUMNS}
     from credit_grants g
     where g.customer_id = any(cast(? as varchar[])) and ${DRAWABLE_AT}`,
    [postgresTextArray(customerIds), sql.date(at), sql.date(at)],
  );
  const byCustomer = new Map<string, (GrantRow & { moved: unknown })[]>();
  for (const r of rows) {
    const list = byCustomer.get(r.customer_id) ?? [];
    list.push(r);
    byCustomer.set(r.customer_id, list);
  }
  return new Map([...byCustomer].map(([id, list]) => [id, drawableOf(list, at)]));
}

/** A drawable grant's columns (of `g`), with what left it so far (`moved`), each named with `prefix`. */
export const drawableColumns = (prefix = '') =>
  `${GRANT_COLUMNS.split(',')
    .map((c) => `g.${c.trim()}${prefix ? ` as ${prefix}${c.trim()}` : ''}`)
    .join(', ')}, (select sum(m.amount) from credit_movements m where m.grant_id = g.id) as ${prefix}moved`;
const DRAWABLE_COLUMNS = drawableColumns();

/** A drawable grant's row, its columns named as drawableColumns without a prefix. */
export type DrawableRow = GrantRow & { moved: unknown };

/** The grants and their movement so far of drawable rows, as the draw-down takes them. */
export function drawableOf(
  rows: DrawableRow[],
  at: Date,
): { grants: StoredGrant[]; movements: CreditMovement[] } {
  return {
    grants: rows.map(grantOf),
    movements: rows
      .filter((r) => num(r.moved) > 0)
      .map((r) => ({ grantId: r.id, kind: 'draw' as const, amount: num(r.moved), at })),
  };
}

/** A customer's spend cap columns (null without a settings row) and their drawable grants. */
export interface CapAndDrawable {
  cap: SpendCapFields | null;
  grants: StoredGrant[];
  movements: CreditMovement[];
}

/** The spend cap of a read joined to credit_settings (`cs`, its key as `has_settings`), or null. */
export const spendCapOfJoin = (row: Record<string, unknown> | undefined): SpendCapFields | null =>
  row && row.has_settings != null ? spendCapFieldsOf(row) : null;

/**
 * readDrawableLedger with the customer's spend cap columns (null without a settings row), in one read:
 * what decides whether a report takes the credit ledger's path (services/usage/credit-terms.ts).
 */
export async function readCapAndDrawableLedger(
  sql: Sql,
  customerId: string,
  at: Date,
): Promise<CapAndDrawable> {
  const rows = await sql.read<GrantRow & { moved: unknown } & Record<string, unknown>>(
    `select cs.customer_id as has_settings, cs.spend_cap_cents, cs.spend_cap_mode, cs.spend_cap_max_cents,
            ${DRAWABLE_COLUMNS}
     from (select cast(? as varchar(255)) as customer_id) k
     left join credit_settings cs on cs.customer_id = k.customer_id
     left join credit_grants g on g.customer_id = k.customer_id and g.effective_at <= ?
       and (g.expires_at is null or g.expires_at > ?)`,
    [customerId, sql.date(at), sql.date(at)],
  );
  return {
    cap: spendCapOfJoin(rows[0]),
    ...drawableOf(
      rows.filter((r) => r.id != null),
      at,
    ),
  };
}

/**
 * Puts a grant in once per sourceKey: a second call with the same key (a redelivered Stripe event, a retried
 * activity) changes nothing and answers the grant the first one made.
 */
export async function addGrant(sql: Sql, g: NewGrant): Promise<{ grant: StoredGrant; created: boolean }> {
  if (!Number.isSafeInteger(g.amount) || g.amount <= 0) throw new RangeError('a grant is a positive integer');
  const id = newId('cgr');
  const now = new Date();
  const inserted = await sql.run<{ id: string }>(
    `insert into credit_grants (${GRANT_COLUMNS})
     values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
     on conflict (source_key) do nothing returning id`,
    [
      id,
      g.customerId,
      g.amount,
      g.source,
      g.priority ?? 0,
      sql.date(g.effectiveAt),
      g.expiresAt ? sql.date(g.expiresAt) : null,
      g.sourceKey,
      g.packId ?? null,
      g.stripeObjectId ?? null,
      g.reason ?? null,
      g.actor ?? null,
      sql.date(now),
    ],
  );
  const [row] = await sql.run<GrantRow>(`select ${GRANT_COLUMNS} from credit_grants where source_key = ?`, [
    g.sourceKey,
  ]);
  if (!row) throw new Error(`credit grant ${g.sourceKey} vanished after its insert`);
  return { grant: grantOf(row), created: inserted.length > 0 };
}

/** Appends an expiry or void once per sourceKey; answers whether this call added it. */
export async function addMovement(sql: Sql, m: NewMovement): Promise<boolean> {
  if (!Number.isSafeInteger(m.amount) || m.amount <= 0)
    throw new RangeError('a movement is a positive integer');
  const inserted = await sql.run<{ id: string }>(
    `insert into credit_movements (id, customer_id, grant_id, kind, amount, at, period_start, source_key, reason, actor, created_at)
     values (?, ?, ?, ?, ?, ?, null, ?, ?, ?, ?)
     on conflict (source_key) do nothing returning id`,
    [
      newId('cmv'),
      m.customerId,
      m.grantId,
      m.kind,
      m.amount,
      sql.date(m.at),
      m.sourceKey,
      m.reason ?? null,
      m.actor ?? null,
      sql.date(new Date()),
    ],
  );
  return inserted.length > 0;
}

/** One customer's draws of a usage group, in the billing period that began at `periodStart`. */
export interface CustomerDraws {
  customerId: string;
  periodStart: Date;
  draws: readonly { grantId: string; amount: number; at: Date }[];
}

/**
 * Adds usage draws to the day's row of each grant (one per grant, billing period and UTC day), for every
 * customer of a group in one statement (a statement a customer had been PostgreSQL's work to parse, bind
 * and start each), in the order of their keys, so two writers cannot deadlock. A grant is one customer's,
 * so no two rows of the statement share a key. The statements of a long list are issued together: the
 * ledger's transaction commits in the message that follows its last writes.
 */
export async function addDraws(sql: Sql, customers: readonly CustomerDraws[]): Promise<void> {
  const byKey = new Map<
    string,
    { customerId: string; periodStart: Date; grantId: string; amount: number; at: Date }
  >();
  for (const { customerId, periodStart, draws } of customers)
    for (const d of draws) {
      if (d.amount <= 0) continue;
      const key = `draw:${d.grantId}:${periodStart.toISOString()}:${d.at.toISOString().slice(0, 10)}`;
      const seen = byKey.get(key);
      if (seen) seen.amount += d.amount;
      else byKey.set(key, { customerId, periodStart, ...d });
    }
  if (byKey.size === 0) return;
  const now = sql.date(new Date());
  const rows = [...byKey.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  await Promise.all(
    chunks(rows, 1000).map((chunk) =>
      sql.write(
        `insert into credit_movements (id, customer_id, grant_id, kind, amount, at, period_start, source_key, reason, actor, created_at)
         values ${chunk.map(() => "(?, ?, ?, 'draw', ?, ?, ?, ?, null, null, ?)").join(', ')}
         on conflict (source_key) do update set amount = credit_movements.amount + excluded.amount`,
        chunk.flatMap(([key, d]) => [
          newId('cmv'),
          d.customerId,
          d.grantId,
          d.amount,
          sql.date(d.at),
          sql.date(d.periodStart),
          key,
          now,
        ]),
      ),
    ),
  );
}

/**
 * Credits drawn from prepaid grants in the billing periods that began at or after `periodStart`: in the
 * open period's, the units its overage did not have to pay.
 */
export async function prepaidDrawnSince(sql: Sql, customerId: string, periodStart: Date): Promise<number> {
  const [row] = await sql.run<{ n: number | string | null }>(`select (${PREPAID_DRAWN_SQL}) as n`, [
    customerId,
    sql.date(periodStart),
  ]);
  return num(row?.n);
}

/** The sum prepaidDrawnSince reads, as a scalar subquery; values: the customer, the period's start. */
export const PREPAID_DRAWN_SQL = `select sum(amount) from credit_movements
   where customer_id = ? and kind = 'draw' and period_start >= ?`;

/**
 * Holds the customer's credit lock until the transaction ends: the one the usage ledger's writer takes
 * before drawing (services/usage/ledger-transaction.ts), so a void or an expiry never races a draw below zero.
 * SQLite has one writer already.
 */
export function lockCredits(sql: Sql, customerId: string): Promise<void> {
  return lockKeys(sql, [`credits:${customerId}`]);
}

/** Moves a grant's expiry (an admin's extension); the caller audits it. */
export async function setGrantExpiry(sql: Sql, grantId: string, expiresAt: Date | null): Promise<void> {
  await sql.run('update credit_grants set expires_at = ? where id = ?', [
    expiresAt ? sql.date(expiresAt) : null,
    grantId,
  ]);
}

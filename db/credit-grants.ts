import { num, type Sql } from './raw-sql';

/** What has moved out of grant `g` so far, as SQL. */
const moved = '(select coalesce(sum(m.amount), 0) from credit_movements m where m.grant_id = g.id)';

/** The customer whose credit purchase a payment intent paid for, or null when it bought no credits. */
export async function purchaseGrantOwner(sql: Sql, paymentIntentId: string): Promise<string | null> {
  const [owner] = await sql.run<{ customer_id: string }>(
    `select customer_id from credit_grants where stripe_object_id = ? and source = 'purchase'`,
    [paymentIntentId],
  );
  return owner ? owner.customer_id : null;
}

/** Grants past their expiry at `now` with something left, oldest expiry first, at most `limit`. */
export function expiredGrantsWithCredits(
  sql: Sql,
  now: Date,
  limit: number,
): Promise<{ id: string; customer_id: string; expires_at: unknown }[]> {
  return sql.run<{ id: string; customer_id: string; expires_at: unknown }>(
    `select g.id, g.customer_id, g.expires_at from credit_grants g
       where g.expires_at is not null and g.expires_at <= ? and g.amount > ${moved}
       order by g.expires_at, g.id limit ?`,
    [sql.date(now), limit],
  );
}

/** What is left of a grant (its amount less every movement out of it); 0 for no such grant. */
export async function grantLeft(sql: Sql, grantId: string): Promise<number> {
  const [left] = await sql.run<{ n: number | string }>(
    `select g.amount - ${moved} as n from credit_grants g where g.id = ?`,
    [grantId],
  );
  return num(left?.n);
}

import type { EntityManager } from '@mikro-orm/core';
import {
  spendCapOfJoin,
  drawableColumns,
  drawableOf,
  type CapAndDrawable,
  type DrawableRow,
} from './credit-ledger';
import {
  LIVE_SUBSCRIPTION_COLUMNS,
  LIVE_SUBSCRIPTION_ID,
  liveSubscriptionFrom,
  type LiveSubscriptionRow,
} from './live-subscription';
import { readBool, sqlFor } from './raw-sql';

/** What a report needs to know of a customer it has not seen lately. */
export interface ReportStanding extends CapAndDrawable {
  subscription: LiveSubscriptionRow | null;
  /**
   * Whether an admin's override (not removed) changes what the customer's plan entitles them to; null when
   * not asked (a report does not look at entitlements).
   */
  hasOverrides: boolean | null;
}

const PREFIX = 'g_';

const HAS_OVERRIDES = `case when exists (select 1 from entitlement_overrides o
                                         where o.customer_id = k.customer_id and o.removed_at is null)
                           then 1 else 0 end as has_overrides`;

/**
 * liveSubscriptionOf and readCapAndDrawableLedger in one read, and for a check whether the customer has
 * overrides: a gateway's report or check for a customer it has not seen in the memos' time needs them all,
 * and each read is a round trip to the database.
 */
export async function readReportStanding(
  em: EntityManager,
  customerId: string,
  at: Date,
  ask: { overrides: boolean },
): Promise<ReportStanding> {
  const sql = sqlFor(em);
  const rows = await sql.read<Record<string, unknown>>(
    `select ${LIVE_SUBSCRIPTION_COLUMNS},
            cs.customer_id as has_settings, cs.spend_cap_cents, cs.spend_cap_mode, cs.spend_cap_max_cents,
            ${ask.overrides ? HAS_OVERRIDES : 'null as has_overrides'},
            ${drawableColumns(PREFIX)}
       from (select cast(? as varchar(255)) as customer_id) k
       left join subscriptions s on s.id = ${LIVE_SUBSCRIPTION_ID('k.customer_id')}
       left join plans p on p.id = s.plan_id
       left join credit_settings cs on cs.customer_id = k.customer_id
       left join credit_grants g on g.customer_id = k.customer_id and g.effective_at <= ?
         and (g.expires_at is null or g.expires_at > ?)`,
    [customerId, sql.date(at), sql.date(at)],
  );
  const first = rows[0];
  const grantRows = rows
    .filter((r) => r[`${PREFIX}id`] != null)
    .map(
      (r) =>
        Object.fromEntries(
          Object.entries(r)
            .filter(([k]) => k.startsWith(PREFIX))
            .map(([k, v]) => [k.slice(PREFIX.length), v]),
        ) as DrawableRow,
    );
  return {
    subscription: first && first.id != null ? liveSubscriptionFrom(first) : null,
    cap: spendCapOfJoin(first),
    hasOverrides: ask.overrides ? readBool(first?.has_overrides) : null,
    ...drawableOf(grantRows, at),
  };
}

import type { EntityManager } from '@mikro-orm/core';
import { EngineSetting, ModelCostOverride } from './entities';
import { recordAudit } from './audit';
import { newId } from './ids';
import { num, readBool, readDate, type Sql } from './raw-sql';
import type { Identity } from '../domain/identity';
import { CATALOGUE } from '../domain/model-costs/catalogue';
import type { InvoicedInCurrency } from '../domain/model-costs/margins';
import {
  noTokens,
  TOKEN_KINDS,
  type ModelRate,
  type TokenKind,
  type UsageCostGroup,
} from '../domain/model-costs/costs';

/** Every rate: the repository catalogue's rows and the admins' overrides. */
export async function allModelRates(em: EntityManager): Promise<ModelRate[]> {
  return [...CATALOGUE, ...(await modelCostOverrides(em))];
}

/** The admins' overrides, as rates beside the catalogue's. */
export async function modelCostOverrides(em: EntityManager): Promise<ModelRate[]> {
  const rows = await em.find(ModelCostOverride, {}, { orderBy: { model: 'asc', validFrom: 'asc' } });
  return rows.map((r) => ({
    model: r.model,
    provider: r.provider,
    validFrom: r.validFrom,
    rates: { input: r.input, cached: r.cached, output: r.output, reasoning: r.reasoning },
    source: 'override' as const,
    reason: r.reason,
  }));
}

/**
 * Stores an override, audited. One not yet in force for the same model and day is replaced (its audit entry
 * keeps what it was); the caller has checked the day has not begun, so no usage was costed at it.
 */
export async function saveModelCostOverride(
  em: EntityManager,
  actor: Identity,
  rate: Omit<ModelRate, 'source'> & { reason: string },
): Promise<void> {
  const before = await em.findOne(ModelCostOverride, { model: rate.model, validFrom: rate.validFrom });
  const image = (
    r: Pick<ModelCostOverride, 'provider' | 'input' | 'cached' | 'output' | 'reasoning' | 'reason'>,
  ) => ({
    provider: r.provider,
    input: r.input,
    cached: r.cached,
    output: r.output,
    reasoning: r.reasoning,
    reason: r.reason,
  });
  const previous = before ? { model: before.model, valid_from: before.validFrom, ...image(before) } : null;
  const row =
    before ??
    em.create(ModelCostOverride, {
      id: newId('mco'),
      model: rate.model,
      validFrom: rate.validFrom,
      provider: rate.provider,
      ...rate.rates,
      reason: rate.reason,
      createdById: actor.sub,
      createdByEmail: actor.email,
    });
  Object.assign(row, { provider: rate.provider, ...rate.rates, reason: rate.reason });
  recordAudit(em, {
    actor,
    action: 'model_cost.override',
    entityType: 'model',
    entityId: rate.model,
    before: previous,
    after: { model: rate.model, valid_from: rate.validFrom, ...image(row) },
  });
  await em.flush();
}

/** A text field of the events' metadata, on either dialect. */
function metaText(sql: Sql, key: string): string {
  return sql.postgres ? `e.metadata->>'${key}'` : `json_extract(e.metadata, '$.${key}')`;
}

/** One kind's token count of an event's metadata.tokens, or 0 when it is not a number. */
function tokenCount(sql: Sql, kind: TokenKind): string {
  return sql.postgres
    ? `case when jsonb_typeof(e.metadata->'tokens'->'${kind}') = 'number' then (e.metadata->'tokens'->>'${kind}')::numeric else 0 end`
    : `case when json_type(e.metadata, '$.tokens.${kind}') in ('integer', 'real') then json_extract(e.metadata, '$.tokens.${kind}') else 0 end`;
}

/**
 * The usage events that happened in [from, to) (of the customers given, or all), summed by customer, UTC
 * day, BYOK, type, model and direction: all their units, the units of events without token counts, and
 * the token counts by kind of those with them.
 */
export async function usageCostGroups(
  sql: Sql,
  from: Date,
  to: Date,
  customerIds?: readonly string[],
): Promise<UsageCostGroup[]> {
  const ids = customerIds ? [...new Set(customerIds)] : null;
  if (ids?.length === 0) return [];
  const day = sql.bucket('e.occurred_at', 'day');
  const rows = await sql.rows<Record<string, unknown>>(
    `select e.customer_id, ${day} as day, ${costColumns(sql)}
       from usage_events e
      where e.occurred_at >= :from and e.occurred_at < :to
            ${ids ? `and e.customer_id in (${ids.map((_, i) => `:c${i}`).join(', ')})` : ''}
      group by e.customer_id, ${day}, ${costGroupBy(sql)}`,
    {
      from: sql.date(from),
      to: sql.date(to),
      ...Object.fromEntries((ids ?? []).map((id, i) => [`c${i}`, id])),
    },
  );
  return rows.map(costGroupOf);
}

/**
 * The events a customer's billing period rolled up, as usage_cost_groups sums them, and by the rate card
 * line each was billed on: what an invoice's usage line cost the platform, line by line. An event whose token
 * kinds were billed on lines of their own counts each kind on its line.
 */
export async function periodCostGroups(
  sql: Sql,
  customerId: string,
  periodStart: Date,
): Promise<(UsageCostGroup & { lineKey: string })[]> {
  const day = sql.bucket('e.occurred_at', 'day');
  const params = { customer: customerId, start: sql.date(periodStart) };
  const [whole, parts] = await Promise.all([
    sql.rows<Record<string, unknown>>(
      `select e.customer_id, ${day} as day, r.line_key, ${costColumns(sql)}
         from usage_events e join usage_rollups r on r.id = e.rollup_id
        where r.customer_id = :customer and r.period_start = :start
        group by e.customer_id, ${day}, r.line_key, ${costGroupBy(sql)}`,
      params,
    ),
    sql.rows<Record<string, unknown>>(
      `select e.customer_id, ${day} as day, r.line_key, ${partColumns(sql)}
         from usage_events e join usage_event_parts p on p.event_id = e.id
              join usage_rollups r on r.id = p.rollup_id
        where r.customer_id = :customer and r.period_start = :start
        group by e.customer_id, ${day}, r.line_key, ${costGroupBy(sql)}`,
      params,
    ),
  ]);
  return [...whole, ...parts].map((r) => ({ ...costGroupOf(r), lineKey: String(r.line_key) }));
}

/** The columns of a cost group of event parts: each part's units are tokens of its kind. */
function partColumns(sql: Sql): string {
  return `e.byok, e.type, ${metaText(sql, 'model')} as model, ${metaText(sql, 'direction')} as direction,
          sum(p.units) as quantity, 0 as untokened,
          ${TOKEN_KINDS.map((k) => `sum(case when p.kind = '${k}' then p.units else 0 end) as t_${k}`).join(', ')}`;
}

/** The columns a cost group sums, beside its customer and day. */
function costColumns(sql: Sql): string {
  const hasTokens = sql.postgres
    ? `jsonb_typeof(e.metadata->'tokens') = 'object'`
    : `json_type(e.metadata, '$.tokens') = 'object'`;
  return `e.byok, e.type, ${metaText(sql, 'model')} as model, ${metaText(sql, 'direction')} as direction,
          sum(e.quantity) as quantity, sum(case when ${hasTokens} then 0 else e.quantity end) as untokened,
          ${TOKEN_KINDS.map((k) => `sum(case when ${hasTokens} then ${tokenCount(sql, k)} else 0 end) as t_${k}`).join(', ')}`;
}

const costGroupBy = (sql: Sql) => `e.byok, e.type, ${metaText(sql, 'model')}, ${metaText(sql, 'direction')}`;

function costGroupOf(r: Record<string, unknown>): UsageCostGroup {
  const tokens = noTokens();
  for (const k of TOKEN_KINDS) tokens[k] = Math.round(num(r[`t_${k}`]));
  return {
    customerId: String(r.customer_id),
    day: String(r.day),
    byok: readBool(r.byok),
    type: String(r.type),
    model: r.model == null ? null : String(r.model),
    direction: r.direction == null ? null : String(r.direction),
    quantity: num(r.quantity),
    untokened: num(r.untokened),
    tokens,
  };
}

/** Units rolled up per customer, billing period, rate card line and model, for periods begun in [from, to). */
export async function rolledUnitsByModel(sql: Sql, from: Date, to: Date) {
  const params = { from: sql.date(from), to: sql.date(to) };
  const model = metaText(sql, 'model');
  // An event billed whole counts its quantity on its rollup's line; one billed kind by kind, each part's.
  const [whole, parts] = await Promise.all([
    sql.rows<Record<string, unknown>>(
      `select r.customer_id, r.period_start, r.line_key, ${model} as model, sum(e.quantity) as n
         from usage_rollups r join usage_events e on e.rollup_id = r.id
        where r.period_start >= :from and r.period_start < :to
        group by r.customer_id, r.period_start, r.line_key, ${model}`,
      params,
    ),
    sql.rows<Record<string, unknown>>(
      `select r.customer_id, r.period_start, r.line_key, ${model} as model, sum(p.units) as n
         from usage_rollups r join usage_event_parts p on p.rollup_id = r.id
              join usage_events e on e.id = p.event_id
        where r.period_start >= :from and r.period_start < :to
        group by r.customer_id, r.period_start, r.line_key, ${model}`,
      params,
    ),
  ]);
  return [...whole, ...parts].map((r) => ({
    customerId: String(r.customer_id),
    periodStart: readDate(r.period_start),
    lineKey: String(r.line_key),
    model: r.model == null ? null : String(r.model),
    units: num(r.n),
  }));
}

/** What each customer's invoices issued in [from, to) billed per currency, net of discounts and tax. */
export async function invoicedByCustomer(sql: Sql, from: Date, to: Date): Promise<InvoicedInCurrency[]> {
  const rows = await sql.rows<Record<string, unknown>>(
    `select customer_id, currency, sum(subtotal_cents - discount_cents) as net, count(*) as n
       from invoices
      where created_at >= :from and created_at < :to and status in ('open', 'paid')
      group by customer_id, currency`,
    { from: sql.date(from), to: sql.date(to) },
  );
  return rows.map((r) => ({
    customerId: String(r.customer_id),
    currency: String(r.currency),
    netCents: num(r.net),
    invoices: num(r.n),
  }));
}

/** Each customer's email, currency and plan (their newest subscription's), for the ids given. */
export async function customerPlans(sql: Sql, customerIds: readonly string[]) {
  const out = new Map<string, { email: string; plan: string | null; currency: string }>();
  const ids = [...new Set(customerIds)];
  for (let i = 0; i < ids.length; i += 500) {
    const chunk = ids.slice(i, i + 500);
    const rows = await sql.run<Record<string, unknown>>(
      `select c.id, c.email, s.tier, s.currency
         from customers c left join subscriptions s on s.customer_id = c.id
        where c.id in (${chunk.map(() => '?').join(', ')})
        order by s.created_at asc, s.id asc`,
      chunk,
    );
    for (const r of rows) {
      out.set(String(r.id), {
        email: String(r.email),
        plan: r.tier == null ? null : String(r.tier),
        currency: r.currency == null ? 'usd' : String(r.currency),
      });
    }
  }
  return out;
}

const FLOOR_KEY = 'margin_floor';

/** The least margin, in percent of the price, a rate card may sell a model's tokens at (0 unless set). */
export async function readMarginFloor(
  em: EntityManager,
): Promise<{ percent: number; updatedBy: string | null }> {
  const row = await em.fork().findOne(EngineSetting, { key: FLOOR_KEY });
  const percent = (row?.value as { percent?: unknown } | undefined)?.percent;
  return { percent: typeof percent === 'number' ? percent : 0, updatedBy: row?.updatedBy ?? null };
}

/** Sets the margin floor, audited with the one it replaced. */
export async function saveMarginFloor(
  em: EntityManager,
  actor: Identity,
  percent: number,
  now: Date,
): Promise<void> {
  const before = await readMarginFloor(em);
  const row =
    (await em.findOne(EngineSetting, { key: FLOOR_KEY })) ??
    em.create(EngineSetting, { key: FLOOR_KEY, value: {}, updatedBy: actor.sub });
  row.value = { percent };
  row.updatedBy = actor.email ?? actor.sub;
  row.updatedAt = now;
  recordAudit(em, {
    actor,
    action: 'model_cost.margin_floor',
    entityType: 'setting',
    entityId: FLOOR_KEY,
    before: { percent: before.percent },
    after: { percent },
  });
  await em.flush();
}

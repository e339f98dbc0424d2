import type { EntityManager } from '@mikro-orm/core';
import type { SqlEntityManager } from '@mikro-orm/knex';
import { customerByRef, customerIdOf } from '../../db/customer-reads';
import { readCapAndDrawableLedger } from '../../db/credit-ledger';
import { readCreditSettingsRow } from '../../db/credit-settings';
import { readReportStanding } from '../../db/report-standing';
import { invoicesOfCustomer } from '../../db/invoice-reads';
import { liveSubscriptionOf } from '../../db/live-subscription';
import { paymentMethodsOfCustomer } from '../../db/payment-method-reads';
import { sqlFor } from '../../db/raw-sql';
import { readUsedOn } from '../../db/usage-counters';
import { usageTypes } from '../../services/usage/usage-types';
import { PERIOD_COUNTERS_SQL, PERIOD_USAGE_SQL } from '../../db/period-usage-counters';
import { openTestDatabase } from '../helpers/db';

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  'Index Cond'?: string;
  Filter?: string;
  Plans?: PlanNode[];
}

const nodesOf = (node: PlanNode): PlanNode[] => [node, ...(node.Plans ?? []).flatMap(nodesOf)];

// Catalogs of a handful of rows, read whole on purpose.
const SMALL_TABLES = new Set(['plans', 'usage_types']);

/** A value of each parameter type, only to have something to explain the plan with. */
function sample(type: string): string {
  if (/^(integer|bigint|smallint|numeric)$/.test(type)) return '1';
  if (type === 'boolean') return 'true';
  if (/^(timestamp|date)/.test(type)) return "'2026-03-10'";
  return "'x'";
}

/**
 * The generic plan (the one PostgreSQL may make once for any values and keep) of every hot read the
 * engine has prepared as a named statement on the pool's connection, with the plan's nodes flattened.
 */
async function genericPlansOfHotReads(
  em: EntityManager,
): Promise<{ statement: string; nodes: PlanNode[] }[]> {
  const knex = (em as unknown as SqlEntityManager).getKnex();
  return knex.transaction(async (trx) => {
    const { rows } = (await trx.raw(
      `select name, statement, parameter_types::text[] as types from pg_prepared_statements
        where name like 'engine_read_%' order by name`,
    )) as { rows: { name: string; statement: string; types: string[] }[] };
    await trx.raw('set local plan_cache_mode = force_generic_plan');
    const plans: { statement: string; nodes: PlanNode[] }[] = [];
    for (const r of rows) {
      const args = r.types.length ? `(${r.types.map(sample).join(', ')})` : '';
      const explained = (await trx.raw(`explain (format json) execute ${r.name}${args}`)) as {
        rows: { 'QUERY PLAN': { Plan: PlanNode }[] }[];
      };
      plans.push({ statement: r.statement, nodes: nodesOf(explained.rows[0]!['QUERY PLAN'][0]!.Plan) });
    }
    return plans;
  });
}

/**
 * The hot reads go to PostgreSQL as named statements, whose plan PostgreSQL may make once for any values
 * and keep for the connection's life. Made while the tables are empty (a fresh install), a plan must
 * still find rows through an index: a scan of the whole table stays in the plan as the table grows, and
 * every call then costs as much as the table is big. Each test prepares its reads one at a time, so the
 * pool's one connection holds them all.
 */
describe('the hot reads on PostgreSQL, as planned on empty tables', () => {
  it('reach their rows through indexes', async () => {
    const db = await openTestDatabase('postgresql');
    try {
      const em = db.orm.em.fork();
      await customerIdOf(em, 'user-a');
      await customerByRef(em, { userId: 'user-a' });
      await customerByRef(em, { email: 'a@example.com' });
      await liveSubscriptionOf(em, 'cust_a');
      await paymentMethodsOfCustomer(em, 'cust_a');
      await invoicesOfCustomer(em, 'cust_a', { limit: 11 });
      await invoicesOfCustomer(em, 'cust_a', { limit: 11, after: { createdAt: new Date(), id: 'inv_a' } });
      await readUsedOn(em, 'cust_a', '2026-03-10');
      await sqlFor(em).read(PERIOD_COUNTERS_SQL, [
        '2026-03-10',
        '2026-03-06',
        '2026-03-06',
        '2026-03-06',
        'cust_a',
        '2026-03-06',
      ]);
      await usageTypes(em);
      await readCapAndDrawableLedger(sqlFor(em), 'cust_a', new Date());
      await readReportStanding(em, 'cust_a', new Date(), { overrides: false });
      await readReportStanding(em, 'cust_a', new Date(), { overrides: true });
      await readCreditSettingsRow(em, 'cust_a');

      const plans = await genericPlansOfHotReads(em);
      expect(plans.length).toBeGreaterThanOrEqual(10);
      const scans = plans.flatMap(({ statement, nodes }) =>
        nodes
          .filter((n) => n['Node Type'] === 'Seq Scan' && !SMALL_TABLES.has(n['Relation Name'] ?? ''))
          .map((n) => ({
            statement: statement.replace(/\s+/g, ' ').slice(0, 120),
            table: n['Relation Name'],
          })),
      );
      expect(scans).toEqual([]);
    } finally {
      await db.close();
    }
  });

  /**
   * A plan that filters every event of the customer made the usage view slower with each event stored
   * (1,166 reads/s, then 544 after 200,000 events, in the benchmark).
   */
  it('the usage view reads the events of the period’s first day before its start through the (customer, occurred_at) index', async () => {
    const db = await openTestDatabase('postgresql');
    try {
      const em = db.orm.em.fork();
      await sqlFor(em).read(PERIOD_USAGE_SQL, [
        '2026-03-10',
        '2026-03-06',
        '2026-03-06',
        '2026-03-06',
        'cust_a',
        '2026-03-06',
        'cust_a',
        '2026-03-06T00:00:00.000Z',
        '2026-03-06T10:00:00.000Z',
      ]);
      const plans = await genericPlansOfHotReads(em);
      expect(plans).toHaveLength(1);
      const onEvents = plans[0]!.nodes.filter(
        (n) => n['Relation Name'] === 'usage_events' || n['Index Name']?.startsWith('usage_events_'),
      );
      expect(onEvents.length).toBeGreaterThan(0);
      expect(onEvents.filter((n) => n['Node Type'] === 'Seq Scan')).toEqual([]);
      const indexed = onEvents.filter((n) => n['Index Name']);
      expect(indexed.map((n) => n['Index Name'])).toEqual(['usage_events_customer_id_occurred_at_index']);
      // The day's bounds are the index's range, not a filter over the rows it returns.
      expect(indexed[0]!['Index Cond']).toContain('occurred_at');
      expect(onEvents.map((n) => n.Filter ?? '').join(' ')).not.toContain('occurred_at');
    } finally {
      await db.close();
    }
  });
});

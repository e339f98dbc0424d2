import type { SqlEntityManager } from '@mikro-orm/knex';
import { numberedPlaceholders } from '../../db/postgres-reader';
import { PERIOD_USAGE_SQL } from '../../services/usage/usage-views';
import { openTestDatabase } from '../helpers/db';

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  'Index Cond'?: string;
  Filter?: string;
  Plans?: PlanNode[];
}

function nodesOf(node: PlanNode): PlanNode[] {
  return [node, ...(node.Plans ?? []).flatMap(nodesOf)];
}

/**
 * The usage view is read as a named statement, and PostgreSQL may plan a named statement once for any
 * values and keep that plan for the connection's life. A plan made while usage_events was empty (a fresh
 * install, the first reads after the table was emptied) must still find a customer's events of one day
 * through the (customer, occurred_at) index: a plan that filters every event of the customer made the view
 * slower with each event stored (1,166 reads/s, then 544 after 200,000 events, in the benchmark).
 */
describe('the usage view on PostgreSQL', () => {
  it('reads the events of the period’s first day through the (customer, occurred_at) index, even as planned on an empty table', async () => {
    const db = await openTestDatabase('postgresql');
    try {
      const knex = (db.orm.em as unknown as SqlEntityManager).getKnex();
      // One connection for the session-level statement and its plan.
      const plan = await knex.transaction(async (trx) => {
        await trx.raw('set local plan_cache_mode = force_generic_plan');
        await trx.raw(`prepare usage_view as ${numberedPlaceholders(PERIOD_USAGE_SQL)}`);
        const explained = await trx.raw(
          `explain (format json) execute usage_view('2026-03-10', '2026-03-07', '2026-03-07', 'cust_a',
             '2026-03-06', 'cust_a', '2026-03-06T10:00:00Z', '2026-03-07T00:00:00Z')`,
        );
        await trx.raw('deallocate usage_view');
        return (explained as { rows: { 'QUERY PLAN': { Plan: PlanNode }[] }[] }).rows[0]!['QUERY PLAN'][0]!
          .Plan;
      });
      const nodes = nodesOf(plan);
      const onEvents = nodes.filter(
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

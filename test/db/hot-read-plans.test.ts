import type { SqlEntityManager } from '@mikro-orm/knex';
import {
  customerByRef,
  customerIdOf,
  invoicesOfCustomer,
  liveSubscriptionOf,
  paymentMethodsOfCustomer,
} from '../../db/customer-reads';
import { readUsedOn } from '../../services/usage/counters';
import { usageTypes } from '../../services/usage/usage-types';
import { openTestDatabase } from '../helpers/db';

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
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
 * The hot reads go to PostgreSQL as named statements, whose plan PostgreSQL may make once for any values
 * and keep for the connection's life. Made while the tables are empty (a fresh install), a plan must
 * still find rows through an index: a scan of the whole table stays in the plan as the table grows, and
 * every call then costs as much as the table is big.
 */
describe('the hot reads on PostgreSQL', () => {
  it('reach their rows through indexes even as planned on empty tables', async () => {
    const db = await openTestDatabase('postgresql');
    try {
      const em = db.orm.em.fork();
      // One at a time, so the pool's one connection prepares them all.
      await customerIdOf(em, 'user-a');
      await customerByRef(em, { userId: 'user-a' });
      await customerByRef(em, { email: 'a@example.com' });
      await liveSubscriptionOf(em, 'cust_a');
      await paymentMethodsOfCustomer(em, 'cust_a');
      await invoicesOfCustomer(em, 'cust_a', { limit: 11 });
      await invoicesOfCustomer(em, 'cust_a', { limit: 11, after: { createdAt: new Date(), id: 'inv_a' } });
      await readUsedOn(em, 'cust_a', '2026-03-10');
      await usageTypes(em);

      const knex = (em as unknown as SqlEntityManager).getKnex();
      const scans = await knex.transaction(async (trx) => {
        const { rows } = (await trx.raw(
          `select name, statement, parameter_types::text[] as types from pg_prepared_statements
            where name like 'engine_read_%' order by name`,
        )) as { rows: { name: string; statement: string; types: string[] }[] };
        expect(rows.length).toBeGreaterThanOrEqual(9);
        await trx.raw('set local plan_cache_mode = force_generic_plan');
        const found: { statement: string; table: string }[] = [];
        for (const r of rows) {
          const args = r.types.length ? `(${r.types.map(sample).join(', ')})` : '';
          const explained = (await trx.raw(`explain (format json) execute ${r.name}${args}`)) as {
            rows: { 'QUERY PLAN': { Plan: PlanNode }[] }[];
          };
          for (const n of nodesOf(explained.rows[0]!['QUERY PLAN'][0]!.Plan)) {
            const table = n['Relation Name'];
            if (n['Node Type'] === 'Seq Scan' && table && !SMALL_TABLES.has(table))
              found.push({ statement: r.statement.replace(/\s+/g, ' ').slice(0, 120), table });
          }
        }
        return found;
      });
      expect(scans).toEqual([]);
    } finally {
      await db.close();
    }
  });
});

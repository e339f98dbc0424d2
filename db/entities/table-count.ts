import { EntitySchema } from '@mikro-orm/core';

/**
 * How many rows a large table holds (the sum of its shards' counts), kept by triggers in every writing
 * transaction (migration TableCounts), so an unfiltered admin list answers its total without counting
 * 100,000 rows a page.
 */
export class TableCount {
  tableName!: string;
  shard!: number;
  rowCount!: number;
}

export const TableCountSchema = new EntitySchema<TableCount>({
  class: TableCount,
  tableName: 'table_counts',
  properties: {
    tableName: { type: 'string', primary: true, length: 64 },
    shard: { type: 'integer', primary: true },
    rowCount: { type: 'integer' },
  },
});

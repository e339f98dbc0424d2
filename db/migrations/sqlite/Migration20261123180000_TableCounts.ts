import { Migration } from '@mikro-orm/migrations';
import { COUNTED_TABLES } from '../shared/counted-tables';

/**
 * table_counts: the row count of each large table an admin list pages through, moved in the writing
 * transaction by a trigger on each inserted or deleted row. SQLite has one writer at a time, so one
 * shard (0) serves. (An upsert that updates fires no insert trigger; nothing here writes with REPLACE,
 * whose deletes would fire none.)
 */
export class Migration20261123180000_TableCounts extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      'create table `table_counts` (`table_name` text not null, `shard` integer not null, `row_count` integer not null, primary key (`table_name`, `shard`));',
    );
    for (const table of COUNTED_TABLES) {
      const move = (by: string) =>
        `update table_counts set row_count = row_count ${by} where table_name = '${table}' and shard = 0;`;
      this.addSql(`insert into \`table_counts\` select '${table}', 0, count(*) from \`${table}\`;`);
      this.addSql(`create trigger ${table}_count_insert after insert on ${table} begin ${move('+ 1')} end;`);
      this.addSql(`create trigger ${table}_count_delete after delete on ${table} begin ${move('- 1')} end;`);
    }
  }
}

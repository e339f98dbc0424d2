import { Migration } from '@mikro-orm/migrations';
import { COUNTED_TABLES, COUNT_SHARDS } from '../shared/counted-tables';

/**
 * table_counts: the row count of each large table an admin list pages through (the sum of its shards),
 * moved in the writing transaction by a statement-level trigger: one update per statement, by the rows it
 * really inserted or deleted, and none when an upsert inserted nothing. A writer moves the shard of its
 * connection, so concurrent writers do not queue on one row until each commits (with one row, 16 writers
 * inserted a customer and a charge at half the rate they did without the trigger).
 */
export class Migration20261123180000_TableCounts extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      'create table "table_counts" ("table_name" varchar(64) not null, "shard" int not null, "row_count" int not null, constraint "table_counts_pkey" primary key ("table_name", "shard"));',
    );
    for (const table of COUNTED_TABLES) {
      this.addSql(
        `insert into "table_counts" select '${table}', s, case when s = 0 then (select count(*) from "${table}") else 0 end from generate_series(0, ${COUNT_SHARDS - 1}) s;`,
      );
    }
    this.addSql(`create function table_counts_move() returns trigger language plpgsql as $$
      declare
        n int;
      begin
        select count(*) into n from changed;
        if n <> 0 then
          update table_counts set row_count = row_count + (case when tg_op = 'INSERT' then n else -n end)
            where table_name = tg_table_name and shard = pg_backend_pid() % ${COUNT_SHARDS};
        end if;
        return null;
      end $$;`);
    for (const table of COUNTED_TABLES) {
      this.addSql(
        `create trigger "${table}_count_insert" after insert on "${table}" referencing new table as changed for each statement execute function table_counts_move();`,
      );
      this.addSql(
        `create trigger "${table}_count_delete" after delete on "${table}" referencing old table as changed for each statement execute function table_counts_move();`,
      );
    }
  }
}

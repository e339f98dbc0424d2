import { Migration } from '@mikro-orm/migrations';

/** Where each token kind of an event priced kind by kind went: one rollup per kind's line. */
export class Migration20261128120000_UsageEventParts extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "usage_event_parts" ("event_id" varchar(40) not null, "kind" varchar(16) not null, "rollup_id" varchar(40) not null, "units" int not null, constraint "usage_event_parts_pkey" primary key ("event_id", "kind"));`);
    this.addSql(`create index "usage_event_parts_rollup_id_index" on "usage_event_parts" ("rollup_id");`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "usage_event_parts" cascade;`);
  }

}

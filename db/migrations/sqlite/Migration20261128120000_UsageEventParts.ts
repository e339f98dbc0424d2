import { Migration } from '@mikro-orm/migrations';

/** Where each token kind of an event priced kind by kind went: one rollup per kind's line. */
export class Migration20261128120000_UsageEventParts extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table \`usage_event_parts\` (\`event_id\` text not null, \`kind\` text not null, \`rollup_id\` text not null, \`units\` integer not null, primary key (\`event_id\`, \`kind\`));`);
    this.addSql(`create index \`usage_event_parts_rollup_id_index\` on \`usage_event_parts\` (\`rollup_id\`);`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists \`usage_event_parts\`;`);
  }

}

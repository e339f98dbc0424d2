import { Migration } from '@mikro-orm/migrations';

export class Migration20261123200000_UsageEventReporter extends Migration {

  override async up(): Promise<void> {
    // SQLite adds a NOT NULL column only with a default, which would then stay: a writer that forgot the
    // reporter would land in the gateway's namespace. The table is rebuilt with the column and no default.
    this.addSql(`create table \`usage_events_new\` (\`id\` text not null, \`customer_id\` text not null, \`event_id\` text not null, \`reporter\` text not null, \`type\` text not null, \`quantity\` integer not null, \`occurred_at\` datetime not null, \`received_at\` datetime not null, \`metadata\` json not null, \`byok\` integer not null default false, \`rollup_id\` text null, constraint \`usage_events_customer_id_foreign\` foreign key(\`customer_id\`) references \`customers\`(\`id\`) on update cascade, primary key (\`id\`));`);
    // Who reported the stored events was not recorded. They all go to the gateway's namespace: its retries
    // of events sent before this migration stay duplicates (the other way they would be billed twice),
    // and a customer retrying their own report of that time only counts it once more against themself.
    this.addSql(`insert into \`usage_events_new\` (\`id\`, \`customer_id\`, \`event_id\`, \`reporter\`, \`type\`, \`quantity\`, \`occurred_at\`, \`received_at\`, \`metadata\`, \`byok\`, \`rollup_id\`)
      select \`id\`, \`customer_id\`, \`event_id\`, 'gateway', \`type\`, \`quantity\`, \`occurred_at\`, \`received_at\`, \`metadata\`, \`byok\`, \`rollup_id\` from \`usage_events\`;`);
    this.addSql(`drop table \`usage_events\`;`);
    this.addSql(`alter table \`usage_events_new\` rename to \`usage_events\`;`);
    this.addSql(`create index \`usage_events_rollup_id_occurred_at_index\` on \`usage_events\` (\`rollup_id\`, \`occurred_at\`);`);
    this.addSql(`create index \`usage_events_customer_id_occurred_at_index\` on \`usage_events\` (\`customer_id\`, \`occurred_at\`);`);
    // The event id still leads (see Migration20261123065714_UsageEventIdFirst).
    this.addSql(`create unique index \`usage_events_event_id_customer_id_reporter_unique\` on \`usage_events\` (\`event_id\`, \`customer_id\`, \`reporter\`);`);
  }

}

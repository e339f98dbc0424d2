import { Migration } from '@mikro-orm/migrations';

export class Migration20261123065714_UsageEventIdFirst extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create unique index \`usage_events_event_id_customer_id_unique\` on \`usage_events\` (\`event_id\`, \`customer_id\`);`);

    this.addSql(`drop index \`usage_events_customer_id_event_id_unique\`;`);
  }

}

import { Migration } from '@mikro-orm/migrations';

export class Migration20261123065723_UsageEventIdFirst extends Migration {

  override async up(): Promise<void> {
    // The new key first: the table is never without one, even to a reader outside this transaction.
    this.addSql(`alter table "usage_events" add constraint "usage_events_event_id_customer_id_unique" unique ("event_id", "customer_id");`);

    this.addSql(`alter table "usage_events" drop constraint "usage_events_customer_id_event_id_unique";`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "usage_events" drop constraint "usage_events_event_id_customer_id_unique";`);

    this.addSql(`alter table "usage_events" add constraint "usage_events_customer_id_event_id_unique" unique ("customer_id", "event_id");`);
  }

}

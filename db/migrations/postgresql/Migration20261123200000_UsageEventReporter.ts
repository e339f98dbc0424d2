import { Migration } from '@mikro-orm/migrations';

export class Migration20261123200000_UsageEventReporter extends Migration {

  override async up(): Promise<void> {
    // Who reported the stored events was not recorded. They all go to the gateway's namespace: its retries
    // of events sent before this migration stay duplicates (the other way they would be billed twice),
    // and a customer retrying their own report of that time only counts it once more against themself.
    // A constant default fills the existing rows without rewriting the table (PostgreSQL 11 and later).
    this.addSql(`alter table "usage_events" add column "reporter" varchar(8) not null default 'gateway';`);
    // The new key before the old one goes: the table is never without one. The event id still leads.
    this.addSql(`alter table "usage_events" add constraint "usage_events_event_id_customer_id_reporter_unique" unique ("event_id", "customer_id", "reporter");`);
    this.addSql(`alter table "usage_events" drop constraint "usage_events_event_id_customer_id_unique";`);
    // From now on every writer names the reporter: one that forgot would fail, not land in the gateway's.
    this.addSql(`alter table "usage_events" alter column "reporter" drop default;`);
  }

  override async down(): Promise<void> {
    // Fails while one customer has the same event id from both reporters: two events the old key cannot hold.
    this.addSql(`alter table "usage_events" add constraint "usage_events_event_id_customer_id_unique" unique ("event_id", "customer_id");`);
    this.addSql(`alter table "usage_events" drop constraint "usage_events_event_id_customer_id_reporter_unique";`);
    this.addSql(`alter table "usage_events" drop column "reporter";`);
  }

}

import { Migration } from '@mikro-orm/migrations';

/**
 * Stripe events by object (issue 44): invoice.paid asks whether a payment of its invoice ever failed
 * before it is signalled to the subscription's workflow, once per paid invoice on the billing day.
 */
export class Migration20261126010000_StripeEventsByObject extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create index "webhook_events_object_id_type_index" on "webhook_events" ("object_id", "type");`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop index "webhook_events_object_id_type_index";`);
  }

}

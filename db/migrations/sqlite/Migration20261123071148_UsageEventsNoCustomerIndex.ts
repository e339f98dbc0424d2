import { Migration } from '@mikro-orm/migrations';

export class Migration20261123071148_UsageEventsNoCustomerIndex extends Migration {

  override async up(): Promise<void> {
    this.addSql(`drop index \`usage_events_customer_id_index\`;`);
  }

}

import { Migration } from '@mikro-orm/migrations';

export class Migration20261122090040_PendingChange extends Migration {

  override async up(): Promise<void> {
    this.addSql(`alter table \`subscriptions\` add column \`pending_tier\` text null;`);
    this.addSql(`alter table \`subscriptions\` add column \`pending_interval\` text null;`);
    this.addSql(`alter table \`subscriptions\` add column \`pending_amount_cents\` integer null;`);
    this.addSql(`alter table \`subscriptions\` add column \`pending_effective_at\` datetime null;`);
  }

}

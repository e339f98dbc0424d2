import { Migration } from '@mikro-orm/migrations';

export class Migration20261122131901_ChargeDisputes extends Migration {

  override async up(): Promise<void> {
    this.addSql(`alter table \`charges\` add column \`stripe_dispute_id\` text null;`);
    this.addSql(`alter table \`charges\` add column \`dispute_status\` text null;`);
    this.addSql(`alter table \`charges\` add column \`dispute_reason\` text null;`);
    this.addSql(`alter table \`charges\` add column \`disputed_amount_cents\` integer not null default 0;`);
    this.addSql(`alter table \`charges\` add column \`disputed_at\` datetime null;`);
  }

}

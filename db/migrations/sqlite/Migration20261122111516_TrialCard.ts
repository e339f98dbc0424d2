import { Migration } from '@mikro-orm/migrations';

export class Migration20261122111516_TrialCard extends Migration {

  override async up(): Promise<void> {
    this.addSql(`alter table \`payment_methods\` add column \`fingerprint\` text null;`);
    this.addSql(`create index \`payment_methods_fingerprint_index\` on \`payment_methods\` (\`fingerprint\`);`);

    this.addSql(`alter table \`subscriptions\` add column \`trial_card_fingerprint\` text null;`);
    this.addSql(`create unique index \`subscriptions_trial_card_fingerprint_unique\` on \`subscriptions\` (\`trial_card_fingerprint\`);`);
  }

}

import { Migration } from '@mikro-orm/migrations';

/** Prepaid commits: paid up front, drawn down by invoices over a term, then expired or rolled over. */
export class Migration20261127180000_PrepaidCommits extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table \`prepaid_commits\` (\`id\` text not null, \`customer_id\` text not null, \`subscription_id\` text not null, \`amount_cents\` integer not null, \`currency\` text not null, \`periods\` integer not null, \`unused\` text not null, \`status\` text not null, \`starts_at\` datetime not null, \`stripe_invoice_id\` text null, \`credit_transaction_id\` text null, \`funded_at\` datetime null, \`term_ends_at\` datetime null, \`drawn_cents\` integer null, \`expired_cents\` integer null, \`rolled_over_cents\` integer null, \`settled_at\` datetime null, \`live_for\` text null, \`created_by\` text not null, \`created_at\` datetime not null, primary key (\`id\`));`);
    this.addSql(`create unique index \`prepaid_commits_live_for_unique\` on \`prepaid_commits\` (\`live_for\`);`);
    this.addSql(`create index \`prepaid_commits_customer_id_created_at_index\` on \`prepaid_commits\` (\`customer_id\`, \`created_at\`);`);
    this.addSql(`create index \`prepaid_commits_status_index\` on \`prepaid_commits\` (\`status\`);`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists \`prepaid_commits\`;`);
  }

}

import { Migration } from '@mikro-orm/migrations';

/** Budgets inside an account: each subject's budget, its usage per window, and the subject on each event. */
export class Migration20261127140000_SubjectBudgets extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table \`subject_budgets\` (\`customer_id\` text not null, \`subject\` text not null, \`per\` text not null, \`limit_units\` integer not null, \`alert_percent\` integer null, \`created_at\` datetime not null, \`updated_at\` datetime not null, primary key (\`customer_id\`, \`subject\`));`);

    this.addSql(`create table \`subject_usage\` (\`customer_id\` text not null, \`subject\` text not null, \`window_key\` text not null, \`units\` bigint not null default 0, primary key (\`customer_id\`, \`subject\`, \`window_key\`));`);

    this.addSql(`alter table \`usage_events\` add column \`subject\` text null;`);
  }

}

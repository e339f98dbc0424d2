import { Migration } from '@mikro-orm/migrations';

/** Minimum commitments: each customer's, and each period one was settled for. */
export class Migration20261127110000_Commitments extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table \`commitments\` (\`id\` text not null, \`customer_id\` text not null, \`subscription_id\` text not null, \`minimum_cents\` integer not null, \`currency\` text not null, \`starts_at\` datetime not null, \`ended_at\` datetime null, \`live_for\` text null, \`created_by\` text not null, \`created_at\` datetime not null, primary key (\`id\`));`);
    this.addSql(`create index \`commitments_customer_id_created_at_index\` on \`commitments\` (\`customer_id\`, \`created_at\`);`);
    this.addSql(`create unique index \`commitments_live_for_unique\` on \`commitments\` (\`live_for\`);`);
    this.addSql(`create index \`commitments_subscription_id_ended_at_index\` on \`commitments\` (\`subscription_id\`, \`ended_at\`);`);

    this.addSql(`create table \`commitment_periods\` (\`id\` text not null, \`commitment_id\` text not null, \`customer_id\` text not null, \`period_start\` datetime not null, \`period_end\` datetime not null, \`minimum_cents\` integer not null, \`consumed_cents\` integer not null, \`true_up_cents\` integer not null, \`currency\` text not null, \`stripe_invoice_id\` text null, \`created_at\` datetime not null, primary key (\`id\`));`);
    this.addSql(`create index \`commitment_periods_customer_id_period_start_index\` on \`commitment_periods\` (\`customer_id\`, \`period_start\`);`);
    this.addSql(`create unique index \`commitment_periods_commitment_id_period_start_unique\` on \`commitment_periods\` (\`commitment_id\`, \`period_start\`);`);
  }

}

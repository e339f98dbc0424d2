import { Migration } from '@mikro-orm/migrations';

export class Migration20261122132829_RefundMirror extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table \`refunds\` (\`id\` text not null, \`stripe_refund_id\` text not null, \`charge_id\` text not null, \`customer_id\` text not null, \`stripe_invoice_id\` text null, \`amount_cents\` integer not null, \`currency\` text not null default 'usd', \`status\` text not null, \`reason\` text null, \`created_at\` datetime not null, constraint \`refunds_charge_id_foreign\` foreign key(\`charge_id\`) references \`charges\`(\`id\`) on update cascade, constraint \`refunds_customer_id_foreign\` foreign key(\`customer_id\`) references \`customers\`(\`id\`) on update cascade, primary key (\`id\`));`);
    this.addSql(`create unique index \`refunds_stripe_refund_id_unique\` on \`refunds\` (\`stripe_refund_id\`);`);
    this.addSql(`create index \`refunds_charge_id_index\` on \`refunds\` (\`charge_id\`);`);
    this.addSql(`create index \`refunds_customer_id_index\` on \`refunds\` (\`customer_id\`);`);
    this.addSql(`create index \`refunds_stripe_invoice_id_index\` on \`refunds\` (\`stripe_invoice_id\`);`);
    this.addSql(`create index \`refunds_created_at_currency_index\` on \`refunds\` (\`created_at\`, \`currency\`);`);
  }

}

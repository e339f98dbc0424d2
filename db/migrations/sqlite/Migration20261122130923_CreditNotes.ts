import { Migration } from '@mikro-orm/migrations';

export class Migration20261122130923_CreditNotes extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table \`leases\` (\`name\` text not null, \`holder\` text not null, \`expires_at\` datetime not null, primary key (\`name\`));`);

    this.addSql(`create table \`credit_notes\` (\`id\` text not null, \`stripe_credit_note_id\` text not null, \`customer_id\` text not null, \`invoice_id\` text null, \`stripe_invoice_id\` text not null, \`number\` text null, \`amount_cents\` integer not null, \`refunded_cents\` integer not null default 0, \`credited_cents\` integer not null, \`currency\` text not null default 'usd', \`type\` text not null, \`status\` text not null, \`reason\` text null, \`memo\` text null, \`created_at\` datetime not null, \`voided_at\` datetime null, constraint \`credit_notes_customer_id_foreign\` foreign key(\`customer_id\`) references \`customers\`(\`id\`) on update cascade, constraint \`credit_notes_invoice_id_foreign\` foreign key(\`invoice_id\`) references \`invoices\`(\`id\`) on delete set null on update cascade, primary key (\`id\`));`);
    this.addSql(`create unique index \`credit_notes_stripe_credit_note_id_unique\` on \`credit_notes\` (\`stripe_credit_note_id\`);`);
    this.addSql(`create index \`credit_notes_customer_id_index\` on \`credit_notes\` (\`customer_id\`);`);
    this.addSql(`create index \`credit_notes_invoice_id_index\` on \`credit_notes\` (\`invoice_id\`);`);
    this.addSql(`create index \`credit_notes_stripe_invoice_id_index\` on \`credit_notes\` (\`stripe_invoice_id\`);`);
    this.addSql(`create index \`credit_notes_created_at_currency_index\` on \`credit_notes\` (\`created_at\`, \`currency\`);`);
  }

}

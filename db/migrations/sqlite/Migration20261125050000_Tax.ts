import { Migration } from '@mikro-orm/migrations';

/**
 * Tax (issue 31): what Stripe Tax added to each invoice and whether it was reverse-charged, and the
 * customer's billing address and tax ids as their invoices carry them; revenue's index covers the tax.
 */
export class Migration20261125050000_Tax extends Migration {

  override async up(): Promise<void> {
    this.addSql(`alter table \`customers\` add column \`billing_address\` json null;`);
    this.addSql(`alter table \`customers\` add column \`tax_ids\` json not null default '[]';`);

    this.addSql(`drop index \`invoices_paid_at_currency_amount_paid_cents_index\`;`);

    this.addSql(`alter table \`invoices\` add column \`tax_cents\` integer not null default 0;`);
    this.addSql(`alter table \`invoices\` add column \`reverse_charge\` integer not null default false;`);
    this.addSql(`create index \`invoices_paid_at_currency_amount_paid_cents_tax_cents_index\` on \`invoices\` (\`paid_at\`, \`currency\`, \`amount_paid_cents\`, \`tax_cents\`);`);
  }

}

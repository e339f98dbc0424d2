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
    // The invoice list's update trigger compares every column of invoices (see InvoiceListVersion): the new
    // ones too, or tax mirrored later would not move the customer's invoice list version.
    const columns =
      'id, stripe_invoice_id, customer_id, subscription_id, number, status, currency, subtotal_cents, total_cents, amount_due_cents, amount_paid_cents, billing_reason, attempt_count, period_start, period_end, due_date, paid_at, hosted_invoice_url, invoice_pdf, created_at, updated_at, discount_cents, tax_cents, reverse_charge';
    const row = (side: 'old' | 'new') => `(${columns.split(', ').map((c) => `${side}.${c}`).join(', ')})`;
    const bump = (side: 'old' | 'new') =>
      `update customers set invoice_list_version = invoice_list_version + 1 where id = ${side}.customer_id;`;
    this.addSql('drop trigger if exists `invoices_invoice_list_update`;');
    this.addSql(
      `create trigger invoices_invoice_list_update after update on invoices when ${row('old')} is not ${row('new')} begin ${bump('old')} ${bump('new')} end;`,
    );
  }

}

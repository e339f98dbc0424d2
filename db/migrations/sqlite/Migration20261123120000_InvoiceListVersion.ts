import { Migration } from '@mikro-orm/migrations';

/**
 * customers.invoice_list_version, bumped in the writing transaction by triggers on every table the invoice
 * list reads: a customer's invoices, and the charges and credit notes of those invoices (found by their
 * Stripe invoice id, before and after the change).
 */
export class Migration20261123120000_InvoiceListVersion extends Migration {
  override async up(): Promise<void> {
    this.addSql('alter table `customers` add column `invoice_list_version` integer not null default 0;');
    const bump = (where: string) =>
      `update customers set invoice_list_version = invoice_list_version + 1 where ${where};`;
    const byInvoice = (row: 'new' | 'old') =>
      bump(`id in (select customer_id from invoices where stripe_invoice_id = ${row}.stripe_invoice_id)`);
    for (const [table, of] of [
      ['invoices', (row: 'new' | 'old') => bump(`id = ${row}.customer_id`)],
      ['charges', byInvoice],
      ['credit_notes', byInvoice],
    ] as const) {
      this.addSql(`create trigger ${table}_invoice_list_insert after insert on ${table} begin ${of('new')} end;`);
      this.addSql(
        `create trigger ${table}_invoice_list_update after update on ${table} begin ${of('old')} ${of('new')} end;`,
      );
      this.addSql(`create trigger ${table}_invoice_list_delete after delete on ${table} begin ${of('old')} end;`);
    }
  }
}

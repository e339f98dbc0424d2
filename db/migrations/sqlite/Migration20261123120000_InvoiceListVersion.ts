import { Migration } from '@mikro-orm/migrations';

/**
 * customers.invoice_list_version, bumped in the writing transaction by triggers on every table the invoice
 * list reads: a customer's invoices, and the charges and credit notes of those invoices (found by their
 * Stripe invoice id, before and after the change). An update that leaves the row as it was (a backfill's
 * upsert of what is already stored) moves nothing: the update triggers compare every column the table has.
 */
const COLUMNS = {
  invoices:
    'id, stripe_invoice_id, customer_id, subscription_id, number, status, currency, subtotal_cents, total_cents, amount_due_cents, amount_paid_cents, billing_reason, attempt_count, period_start, period_end, due_date, paid_at, hosted_invoice_url, invoice_pdf, created_at, updated_at',
  charges:
    'id, stripe_charge_id, customer_id, invoice_id, amount_cents, amount_refunded_cents, currency, status, paid, refunded, description, failure_code, created_at, stripe_invoice_id, card_brand, card_last4, stripe_dispute_id, dispute_status, dispute_reason, disputed_amount_cents, disputed_at',
  credit_notes:
    'id, stripe_credit_note_id, customer_id, invoice_id, stripe_invoice_id, number, amount_cents, refunded_cents, credited_cents, currency, type, status, reason, memo, created_at, voided_at',
};
const rowOf = (table: keyof typeof COLUMNS, row: 'old' | 'new') =>
  `(${COLUMNS[table].split(', ').map((c) => `${row}.${c}`).join(', ')})`;

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
        `create trigger ${table}_invoice_list_update after update on ${table} when ${rowOf(table, 'old')} is not ${rowOf(table, 'new')} begin ${of('old')} ${of('new')} end;`,
      );
      this.addSql(`create trigger ${table}_invoice_list_delete after delete on ${table} begin ${of('old')} end;`);
    }
  }
}

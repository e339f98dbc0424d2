import { Migration } from '@mikro-orm/migrations';

/**
 * customers.invoice_list_version, bumped in the writing transaction by triggers on every table the invoice
 * list reads: a customer's invoices, and the charges and credit notes of those invoices (found by their
 * Stripe invoice id, before and after the change). An update that leaves the row as it was (a backfill's
 * upsert of what is already stored) moves nothing.
 */
export class Migration20261123120000_InvoiceListVersion extends Migration {
  override async up(): Promise<void> {
    this.addSql('alter table "customers" add column "invoice_list_version" int not null default 0;');
    // `row` stands for old or new: the customer whose invoice list the row was, or is now, on.
    const bumpFunction = (name: string, customersOf: (row: 'old' | 'new') => string) =>
      `create function ${name}() returns trigger language plpgsql as $$
        begin
          if tg_op = 'UPDATE' and old is not distinct from new then
            return null;
          end if;
          if tg_op <> 'INSERT' then
            update customers set invoice_list_version = invoice_list_version + 1 where id in (${customersOf('old')});
          end if;
          if tg_op <> 'DELETE' then
            update customers set invoice_list_version = invoice_list_version + 1 where id in (${customersOf('new')});
          end if;
          return null;
        end $$;`;
    this.addSql(bumpFunction('invoice_list_bump_by_customer', (row) => `${row}.customer_id`));
    this.addSql(
      bumpFunction(
        'invoice_list_bump_by_invoice',
        (row) => `select customer_id from invoices where stripe_invoice_id = ${row}.stripe_invoice_id`,
      ),
    );
    for (const [table, fn] of [
      ['invoices', 'invoice_list_bump_by_customer'],
      ['charges', 'invoice_list_bump_by_invoice'],
      ['credit_notes', 'invoice_list_bump_by_invoice'],
    ]) {
      this.addSql(
        `create trigger "${table}_invoice_list" after insert or update or delete on "${table}" for each row execute function ${fn}();`,
      );
    }
  }
}

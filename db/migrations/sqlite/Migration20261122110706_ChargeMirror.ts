import { Migration } from '@mikro-orm/migrations';

export class Migration20261122110706_ChargeMirror extends Migration {

  override async up(): Promise<void> {
    this.addSql(`alter table \`charges\` add column \`stripe_invoice_id\` text null;`);
    this.addSql(`alter table \`charges\` add column \`card_brand\` text null;`);
    this.addSql(`alter table \`charges\` add column \`card_last4\` text null;`);
    this.addSql(`create index \`charges_stripe_invoice_id_index\` on \`charges\` (\`stripe_invoice_id\`);`);
  }

}

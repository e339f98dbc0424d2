import { Migration } from '@mikro-orm/migrations';

export class Migration20261123004932_KeysetIndexes extends Migration {

  override async up(): Promise<void> {
    this.addSql(`drop index \`customers_created_at_index\`;`);

    this.addSql(`create index \`customers_created_at_id_index\` on \`customers\` (\`created_at\`, \`id\`);`);

    this.addSql(`drop index \`subscriptions_created_at_index\`;`);

    this.addSql(`create index \`subscriptions_created_at_id_index\` on \`subscriptions\` (\`created_at\`, \`id\`);`);
    this.addSql(`create index \`subscriptions_amount_cents_id_index\` on \`subscriptions\` (\`amount_cents\`, \`id\`);`);

    this.addSql(`drop index \`invoices_customer_id_created_at_index\`;`);

    this.addSql(`create index \`invoices_customer_id_created_at_id_index\` on \`invoices\` (\`customer_id\`, \`created_at\`, \`id\`);`);

    this.addSql(`drop index \`charges_created_at_index\`;`);

    this.addSql(`create index \`charges_created_at_id_index\` on \`charges\` (\`created_at\`, \`id\`);`);
  }

}

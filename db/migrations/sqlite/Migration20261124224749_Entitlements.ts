import { Migration } from '@mikro-orm/migrations';

/**
 * Entitlements (issue 30): a plan version's explicit entitlements, and admins' per-customer overrides.
 */
export class Migration20261124224749_Entitlements extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table \`entitlement_overrides\` (\`id\` text not null, \`customer_id\` text not null, \`feature\` text not null, \`change\` json not null, \`expires_at\` datetime null, \`reason\` text not null, \`actor\` text not null, \`created_at\` datetime not null, \`removed_at\` datetime null, \`removed_by\` text null, primary key (\`id\`));`);
    this.addSql(`create index \`entitlement_overrides_customer_id_removed_at_index\` on \`entitlement_overrides\` (\`customer_id\`, \`removed_at\`);`);

    this.addSql(`alter table \`plans\` add column \`entitlements\` json not null default '[]';`);
  }

}

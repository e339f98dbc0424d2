import { Migration } from '@mikro-orm/migrations';

/**
 * Entitlements (issue 30): a plan version's explicit entitlements, and admins' per-customer overrides.
 */
export class Migration20261124224756_Entitlements extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "entitlement_overrides" ("id" varchar(40) not null, "customer_id" varchar(40) not null, "feature" varchar(64) not null, "change" jsonb not null, "expires_at" timestamptz null, "reason" varchar(500) not null, "actor" varchar(255) not null, "created_at" timestamptz not null, "removed_at" timestamptz null, "removed_by" varchar(255) null, constraint "entitlement_overrides_pkey" primary key ("id"));`);
    this.addSql(`create index "entitlement_overrides_customer_id_removed_at_index" on "entitlement_overrides" ("customer_id", "removed_at");`);

    this.addSql(`alter table "plans" add column "entitlements" jsonb not null default '[]';`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "entitlement_overrides" cascade;`);

    this.addSql(`alter table "plans" drop column "entitlements";`);
  }

}

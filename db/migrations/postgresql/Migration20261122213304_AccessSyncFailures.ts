import { Migration } from '@mikro-orm/migrations';

export class Migration20261122213304_AccessSyncFailures extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "access_sync_failures" ("system" varchar(16) not null, "subject" varchar(255) not null, "error" text not null, "failed_at" timestamptz not null, constraint "access_sync_failures_pkey" primary key ("system", "subject"));`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "access_sync_failures" cascade;`);
  }

}

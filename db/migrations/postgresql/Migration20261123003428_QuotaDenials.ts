import { Migration } from '@mikro-orm/migrations';

export class Migration20261123003428_QuotaDenials extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "quota_denials" ("day" varchar(10) not null, "plan" varchar(64) not null, "site" varchar(16) not null, "count" int not null default 0, constraint "quota_denials_pkey" primary key ("day", "plan", "site"));`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "quota_denials" cascade;`);
  }

}

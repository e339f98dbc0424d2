import { Migration } from '@mikro-orm/migrations';

export class Migration20261122095751_EngineSettings extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "engine_settings" ("key" varchar(64) not null, "value" jsonb not null, "updated_by" varchar(255) not null, "updated_at" timestamptz not null, constraint "engine_settings_pkey" primary key ("key"));`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "engine_settings" cascade;`);
  }

}

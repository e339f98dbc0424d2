import { Migration } from '@mikro-orm/migrations';

/** Admins' negotiated model rates, each in force from its own day (the catalogue of provider prices is data). */
export class Migration20261128090000_ModelCostOverrides extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "model_cost_overrides" ("id" varchar(40) not null, "model" varchar(100) not null, "provider" varchar(100) not null, "valid_from" varchar(10) not null, "input" varchar(20) not null, "cached" varchar(20) not null, "output" varchar(20) not null, "reasoning" varchar(20) not null, "reason" varchar(500) not null, "created_by_id" varchar(320) not null, "created_by_email" varchar(320) null, "created_at" timestamptz not null, constraint "model_cost_overrides_pkey" primary key ("id"));`);
    this.addSql(`alter table "model_cost_overrides" add constraint "model_cost_overrides_model_valid_from_unique" unique ("model", "valid_from");`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "model_cost_overrides" cascade;`);
  }

}

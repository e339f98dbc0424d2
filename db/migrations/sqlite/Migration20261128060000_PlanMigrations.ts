import { Migration } from '@mikro-orm/migrations';

/**
 * Plan migrations and their rehearsals as durable runs: one row per run, one per subscription it moved (or
 * would move) or could not move.
 */
export class Migration20261128060000_PlanMigrations extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table \`plan_migrations\` (\`id\` text not null, \`kind\` text not null default 'migration', \`rehearsal_id\` text null, \`summary\` json null, \`plan_code\` text not null, \`to_version\` integer not null, \`when\` text not null, \`status\` text not null, \`candidates\` integer not null, \`started_by_id\` text not null, \`started_by_email\` text null, \`created_at\` datetime not null, \`finished_at\` datetime null, primary key (\`id\`));`);
    this.addSql(`create index \`plan_migrations_plan_code_created_at_index\` on \`plan_migrations\` (\`plan_code\`, \`created_at\`);`);
    this.addSql(`create table \`plan_migration_items\` (\`migration_id\` text not null, \`subscription_id\` text not null, \`from_version\` integer not null, \`outcome\` text not null, \`result\` text null, \`reason\` text null, \`amount_cents\` integer not null, \`new_amount_cents\` integer null, \`detail\` json null, \`recorded_at\` datetime not null, primary key (\`migration_id\`, \`subscription_id\`));`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists \`plan_migration_items\`;`);
    this.addSql(`drop table if exists \`plan_migrations\`;`);
  }

}

import { Migration } from '@mikro-orm/migrations';

/** Admins' negotiated model rates, each in force from its own day (the catalogue of provider prices is data). */
export class Migration20261128090000_ModelCostOverrides extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table \`model_cost_overrides\` (\`id\` text not null, \`model\` text not null, \`provider\` text not null, \`valid_from\` text not null, \`input\` text not null, \`cached\` text not null, \`output\` text not null, \`reasoning\` text not null, \`reason\` text not null, \`created_by_id\` text not null, \`created_by_email\` text null, \`created_at\` datetime not null, primary key (\`id\`));`);
    this.addSql(`create unique index \`model_cost_overrides_model_valid_from_unique\` on \`model_cost_overrides\` (\`model\`, \`valid_from\`);`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists \`model_cost_overrides\`;`);
  }

}

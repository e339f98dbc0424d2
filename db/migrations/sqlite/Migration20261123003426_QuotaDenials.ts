import { Migration } from '@mikro-orm/migrations';

export class Migration20261123003426_QuotaDenials extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table \`quota_denials\` (\`day\` text not null, \`plan\` text not null, \`site\` text not null, \`count\` integer not null default 0, primary key (\`day\`, \`plan\`, \`site\`));`);
  }

}

import { Migration } from '@mikro-orm/migrations';

export class Migration20261122095749_EngineSettings extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table \`engine_settings\` (\`key\` text not null, \`value\` json not null, \`updated_by\` text not null, \`updated_at\` datetime not null, primary key (\`key\`));`);
  }

}

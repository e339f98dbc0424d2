import { Migration } from '@mikro-orm/migrations';

export class Migration20261122213301_AccessSyncFailures extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table \`access_sync_failures\` (\`system\` text not null, \`subject\` text not null, \`error\` text not null, \`failed_at\` datetime not null, primary key (\`system\`, \`subject\`));`);
  }

}

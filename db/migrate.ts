/** Applies pending migrations to DATABASE_URL (the engine also does this at start-up). */
import { commandConfig } from '../config/commands';
import { openDatabase } from './orm';

async function main(): Promise<void> {
  const config = commandConfig('migrate');
  const orm = await openDatabase(config.DATABASE_URL);
  const done = await orm.getMigrator().getExecutedMigrations();
  console.log(`database at ${config.DATABASE_URL.split('@').pop()} has ${done.length} migrations applied`);
  await orm.close();
}

void main();

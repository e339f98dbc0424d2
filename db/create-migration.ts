/**
 * Generates the next migration for one dialect from the entity definitions:
 *   DATABASE_URL=sqlite:var/gen.sqlite npm run migration:create
 *   DATABASE_URL=postgres://… npm run migration:create
 * Then list the new class in that dialect's index.ts.
 */
import { openDatabase } from './orm';

async function main(): Promise<void> {
  const url = process.env.DATABASE_URL ?? 'sqlite:var/migration-gen.sqlite';
  const orm = await openDatabase(url);
  const result = await orm.getMigrator().createMigration(undefined, false, false, process.argv[2]);
  console.log(result.fileName ? `created ${result.fileName}` : 'schema is up to date; nothing to create');
  await orm.close();
}

void main();

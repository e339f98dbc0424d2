import type { Sql } from '../../db/raw-sql';

/** A job for the SQLite writer thread's test: stores settings, then fails when asked to, after writing. */
export async function putSettings(sql: Sql, input: { keys: string[]; fail?: boolean }): Promise<number> {
  for (const key of input.keys)
    await sql.run('insert into engine_settings (key, value, updated_by, updated_at) values (?, ?, ?, ?)', [
      key,
      JSON.stringify({ key }),
      'test',
      sql.date(new Date()),
    ]);
  if (input.fail) throw Object.assign(new Error('asked to fail'), { code: 'TEST_FAILURE' });
  const rows = await sql.run<{ n: number }>('select count(*) as n from engine_settings');
  return Number(rows[0]?.n);
}

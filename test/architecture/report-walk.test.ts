import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** How often the walk comes back to each file it had already left. */
export function returnsPerFile(walk: readonly string[]): Map<string, number> {
  const returns = new Map<string, number>();
  const left = new Set<string>();
  walk.forEach((file, i) => {
    if (i > 0) left.add(walk[i - 1] as string);
    if (left.has(file)) returns.set(file, (returns.get(file) ?? 0) + 1);
  });
  return returns;
}

describe('a usage report walks the layers without going back and forth', () => {
  it('counts a return only when the walk enters a file it has left before', () => {
    const walk = ['api/h.ts', 'services/a.ts', 'domain/d.ts', 'services/a.ts', 'db/x.ts', 'services/a.ts'];
    expect(Object.fromEntries(returnsPerFile(walk))).toEqual({ 'services/a.ts': 2 });
  });

  it('goes api → services → db/domain → api, returning to no file more than three times', async () => {
    const root = path.join(__dirname, '..', '..');
    const { stdout } = await run(
      process.execPath,
      [require.resolve('tsx/cli'), path.join('test', 'architecture', 'report-walk.ts')],
      { cwd: root, env: { ...process.env, NODE_ENV: 'test' }, timeout: 120_000 },
    );
    const traced = JSON.parse(stdout.trim().split('\n').pop() as string) as {
      status: number;
      body: { accepted: number };
      walk: string[];
    };
    expect(traced.status).toBe(200);
    expect(traced.body.accepted).toBe(2);
    // The trace saw the whole way down and back: it cannot pass by seeing nothing.
    expect(traced.walk[0]).toMatch(/^api\/routes\/usage\//);
    expect(traced.walk[traced.walk.length - 1]).toMatch(/^api\/routes\/usage\//);
    expect(traced.walk).toEqual(
      expect.arrayContaining(['services/usage/report-usage.ts', 'domain/usage-report.ts']),
    );
    expect(traced.walk.some((f) => f.startsWith('db/'))).toBe(true);
    const over = [...returnsPerFile(traced.walk)].filter(([, n]) => n > 3);
    expect(over).toEqual([]);
  });
});

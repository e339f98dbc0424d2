/**
 * The engine compiled as its image runs it (`tsc -p tsconfig.build.json` into dist/), for what measures
 * it: the benchmarks' API and the benchmark cluster. Through tsx, the loader the tests use, a one-event
 * report cost the API a fifth more CPU than compiled (163–179 against 137–141 µs, PostgreSQL, alternating
 * runs), so a benchmark through tsx measured something production never runs.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

const ROOT = join(__dirname, '..');

let compiled = false;

/** The path of `script` (e.g. `api/main`) in dist/, compiling the engine first, once a process. */
export function compiledEngine(script: string, log: (line: string) => void = defaultLog): string {
  if (!compiled) {
    log('compiling the engine as its image runs it (tsc -p tsconfig.build.json into dist/)');
    execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.build.json'], {
      cwd: ROOT,
      stdio: 'inherit',
    });
    compiled = true;
  }
  return join(ROOT, 'dist', `${script}.js`);
}

function defaultLog(line: string) {
  process.stderr.write(`${line}\n`);
}

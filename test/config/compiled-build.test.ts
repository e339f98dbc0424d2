import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import * as ts from 'typescript';
import { freeLoopbackPort as freePort } from '../../telemetry/metrics-listener';
import { waitUntil } from '../helpers/eventually';
import { listeningAddresses } from '../helpers/listening';
import { startDevServer, TEST_NAMESPACE } from '../helpers/temporal';

const root = join(__dirname, '..', '..');
const METRICS_TOKEN = 'compiled-build-scrape-token';

/**
 * The image's build (`npm run build`: tsconfig.build.json) into a temp dir, emitted as tsc emits it but
 * without the type check (`tsc --noEmit` does that in `npm test`) and without following imports: a file
 * the API or the worker needs and the configuration leaves out is missing here, as it would be in dist/.
 */
function build(outDir: string): string[] {
  const configFile = join(root, 'tsconfig.build.json');
  const { config, error } = ts.readConfigFile(configFile, (f) => ts.sys.readFile(f));
  if (error) throw new Error(ts.flattenDiagnosticMessageText(error.messageText, '\n'));
  const parsed = ts.parseJsonConfigFileContent(config, ts.sys, root, { outDir }, configFile);
  if (parsed.errors.length) throw new Error(parsed.errors.map((e) => e.messageText).join('\n'));
  const program = ts.createProgram(parsed.fileNames, {
    ...parsed.options,
    noCheck: true,
    noLib: true,
    noResolve: true,
    types: [],
  });
  const emitted: string[] = [];
  const result = program.emit(undefined, (file, text) => {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, text);
    emitted.push(relative(outDir, file));
  });
  if (result.emitSkipped) throw new Error('the build emitted nothing');
  return emitted;
}

/** Plain Node, no loader, no inherited NODE_OPTIONS: the way the image runs it. */
function startNode(script: string, cwd: string, env: Record<string, string>) {
  const child = spawn(process.execPath, [script], {
    cwd,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return { child, output: () => output };
}

async function stop(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

async function scrape(url: string, authorization?: string): Promise<number> {
  const res = await fetch(url, authorization ? { headers: { authorization } } : {});
  await res.text();
  return res.status;
}

describe('the compiled engine the image runs (npm run build, node dist/…)', () => {
  let dir: string;
  let dist: string;
  let emitted: string[];
  let temporal: TestWorkflowEnvironment | undefined;
  let temporalStarting: Promise<unknown> | undefined;
  let api: ReturnType<typeof startNode> | undefined;
  let worker: ReturnType<typeof startNode> | undefined;
  let apiUrl: string;
  let apiMetricsPort: number;
  let databaseUrl: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'compiled-build-'));
    dist = join(dir, 'dist');
    // Temporal starts while the build runs.
    temporalStarting = startDevServer().then((env) => (temporal = env));
    emitted = build(dist);
    // The image's node_modules sits beside dist/.
    symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'), 'dir');
    await temporalStarting;
    if (!temporal) throw new Error('Temporal did not start');
    databaseUrl = `sqlite:${join(dir, 'var', 'billing.sqlite')}`;
    const port = await freePort();
    apiMetricsPort = await freePort();
    apiUrl = `http://127.0.0.1:${port}`;
    api = startNode(join(dist, 'api', 'main.js'), dir, {
      NODE_ENV: 'test',
      PORT: String(port),
      DATABASE_URL: databaseUrl,
      VAR_DIR: join(dir, 'var'),
      TEMPORAL_ADDRESS: temporal!.address,
      TEMPORAL_NAMESPACE: TEST_NAMESPACE,
      METRICS_PORT: String(apiMetricsPort),
      METRICS_TOKEN,
    });
    await waitUntil(
      () =>
        fetch(`${apiUrl}/healthz`).then(
          (r) => r.status,
          () => 0,
        ),
      (status) => status === 200,
      'the compiled API to answer /healthz',
      60_000,
      200,
    );
  }, 180_000);

  afterAll(async () => {
    await stop(worker?.child);
    await stop(api?.child);
    await temporalStarting?.catch(() => undefined);
    await temporal?.teardown();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('emits the API, the worker, the workflows, the migrations and the operators’ tools, and no test', () => {
    for (const file of [
      'api/main.js',
      'worker/main.js',
      'workflows/index.js',
      'db/migrate.js',
      'db/migrations/sqlite/index.js',
      'db/migrations/postgresql/index.js',
      'tools/verify.js',
      'tools/byok-rotate.js',
      'tools/stripe-sync.js',
    ]) {
      expect(emitted).toContain(file);
    }
    expect(emitted.filter((f) => /^(test|bench)\/|\.test\.js$/.test(f))).toEqual([]);
  });

  it('serves /healthz from plain Node, having migrated a new SQLite database from dist', async () => {
    const res = await fetch(`${apiUrl}/healthz`);
    expect(res.status).toBe(200);
    expect(api?.output()).toMatch(/api listening/);
  });

  it('asks for the scrape token on METRICS_PORT, which listens on loopback only by default', async () => {
    const url = `http://127.0.0.1:${apiMetricsPort}/metrics`;
    expect(await scrape(url)).toBe(401);
    expect(await scrape(url, 'Bearer not-the-token')).toBe(401);
    expect(await scrape(url, `Bearer ${METRICS_TOKEN}x`)).toBe(401);
    expect(await scrape(url, `Bearer ${METRICS_TOKEN}`)).toBe(200);
    expect(listeningAddresses(apiMetricsPort)).toEqual(['127.0.0.1']);
  });

  it('runs the worker from dist (its workflows bundled from the compiled code), with the scrape token on WORKER_METRICS_PORT', async () => {
    const metricsPort = await freePort();
    worker = startNode(join(dist, 'worker', 'main.js'), dir, {
      NODE_ENV: 'test',
      DATABASE_URL: databaseUrl,
      VAR_DIR: join(dir, 'var'),
      TEMPORAL_ADDRESS: temporal!.address,
      TEMPORAL_NAMESPACE: TEST_NAMESPACE,
      TEMPORAL_TASK_QUEUE: 'compiled-build',
      WORKER_METRICS_PORT: String(metricsPort),
      METRICS_TOKEN,
    });
    const child = worker.child;
    const output = worker.output;
    await waitUntil(
      async () => ({ running: /worker running/.test(output()), exited: child.exitCode }),
      (s) => s.running || s.exited !== null,
      'the compiled worker to bundle its workflows and poll',
      120_000,
      250,
    );
    expect(output()).toMatch(/worker running/);
    const url = `http://127.0.0.1:${metricsPort}/metrics`;
    expect(await scrape(url)).toBe(401);
    expect(await scrape(url, 'Bearer not-the-token')).toBe(401);
    const res = await fetch(url, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
    expect(res.status).toBe(200);
    // The SDK's own figures, passed on from its exporter.
    expect(await res.text()).toMatch(/^temporal_/m);
    expect(listeningAddresses(metricsPort)).toEqual(['127.0.0.1']);
  }, 150_000);
});

'use strict';
/**
 * A real Keycloak for local runs and tests, from Maven Central (the Quarkus distribution zip), unpacked
 * once into the user's cache. Plain CommonJS with no npm dependencies, like the other tools.
 *
 *   const { startKeycloak } = require('./tools/keycloak');
 *   const kc = await startKeycloak({ log });   // { url, adminUser, adminPassword, stop() }
 *
 * Start-up costs are paid once in ensureKeycloak(): Quarkus' build step (about 15 s, otherwise redone by
 * the first start-dev) and a seed database with the master realm already created (Liquibase plus the
 * master realm take about 6 s of every fresh start). Each start copies the seed into a temporary
 * directory, so runs are fresh, independent of each other, and never write into the cache.
 *
 * `node tools/keycloak.js` runs one until Ctrl-C; `node tools/keycloak.js ensure` prints the home dir.
 */
const { freePort } = require('./free-port');
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawn, spawnSync } = require('node:child_process');
const { cacheDir } = require('./cache-dir');
const { isAlive } = require('./process-alive');

const VERSION = '26.4.7';
const ARTIFACT = `org.keycloak:keycloak-quarkus-dist:${VERSION}:zip`;
// Build-time options: every start must pass the same ones as the build, or Keycloak rebuilds (≈15 s).
const BUILD_OPTIONS = ['--db=dev-file'];
// C1 only: start-up measured ≈30% faster (15.7 s → 10.8 s before seeding); peak throughput does not matter here.
const JAVA_OPTS_APPEND = '-XX:TieredStopAtLevel=1';
const ADMIN_USER = 'admin';
const SEED_DB = path.join('seed', 'keycloakdb.mv.db');
const SEED_ADMIN = path.join('seed', 'admin.json');
// Changing anything that shapes the cached home changes this, so an old cache is rebuilt, not misused.
const STAMP = JSON.stringify({ VERSION, BUILD_OPTIONS, layout: 1 });
const START_TIMEOUT_MS = 180_000;

function defaultLog(msg) {
  process.stderr.write(`[keycloak] ${msg}\n`);
}

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8', ...opts });
  if (r.error) throw new Error(`cannot run ${cmd}: ${r.error.message}`);
  if (r.status !== 0)
    throw new Error(`${cmd} ${args.join(' ')} failed (exit ${r.status}):\n${r.stdout}${r.stderr}`);
  return r.stdout;
}

function hasCommand(cmd, args) {
  return !spawnSync(cmd, args, { stdio: 'ignore' }).error;
}

function isReady(home) {
  try {
    return (
      fs.readFileSync(path.join(home, '.ready'), 'utf8') === STAMP &&
      fs.existsSync(path.join(home, SEED_DB)) &&
      fs.existsSync(path.join(home, 'bin', 'kc.sh'))
    );
  } catch {
    return false;
  }
}

function download(staging, log) {
  if (!hasCommand('java', ['-version'])) throw new Error('Keycloak needs Java 17+ on PATH (or JAVA_HOME)');
  log(`fetching ${ARTIFACT} from Maven Central (once, about 150 MB)…`);
  // dependency:copy needs no project and reuses ~/.m2 when the zip is already there.
  run(process.env.MVN || 'mvn', [
    '-B',
    '-q',
    '-Dstyle.color=never',
    'dependency:copy',
    `-Dartifact=${ARTIFACT}`,
    `-DoutputDirectory=${staging}`,
  ]);
  const zip = path.join(staging, `keycloak-quarkus-dist-${VERSION}.zip`);
  if (!fs.existsSync(zip)) throw new Error(`mvn did not produce ${zip}`);
  return zip;
}

function unpack(zip, staging, log) {
  log('unpacking…');
  if (hasCommand('unzip', ['-v'])) {
    run('unzip', ['-q', zip, '-d', staging]);
  } else {
    // jar(1) comes with the JDK but drops the executable bits, restored below.
    run('jar', ['xf', zip], { cwd: staging });
  }
  fs.rmSync(zip, { force: true });
  const dist = path.join(staging, `keycloak-${VERSION}`);
  for (const f of fs.readdirSync(path.join(dist, 'bin'))) {
    if (f.endsWith('.sh')) fs.chmodSync(path.join(dist, 'bin', f), 0o755);
  }
  return dist;
}

/** One server process; its own process group, so stopping it also stops the JVM kc.sh launched. */
function launch(home, dataDir, port, env) {
  fs.mkdirSync(dataDir, { recursive: true });
  const logFile = path.join(dataDir, 'keycloak.log');
  const out = fs.openSync(logFile, 'a');
  const child = spawn(
    path.join(home, 'bin', 'kc.sh'),
    [
      'start-dev',
      ...BUILD_OPTIONS,
      `--http-port=${port}`,
      '--http-host=127.0.0.1',
      // Keeps the H2 files and transaction logs out of the (shared, cached) home.
      `-Dkc.db-url-path=${dataDir}`,
      `-Dquarkus.transaction-manager.object-store.directory=${path.join(dataDir, 'transaction-logs')}`,
    ],
    {
      detached: true,
      stdio: ['ignore', out, out],
      env: {
        ...process.env,
        ...env,
        JAVA_OPTS_APPEND: [process.env.JAVA_OPTS_APPEND, JAVA_OPTS_APPEND].filter(Boolean).join(' '),
      },
    },
  );
  fs.closeSync(out);
  let exitCode;
  const exited = new Promise((resolve) => {
    child.on('exit', (code, signal) => {
      exitCode = code ?? signal;
      resolve();
    });
    child.on('error', (err) => {
      exitCode = err.message;
      resolve();
    });
  });
  const killGroup = (signal) => {
    try {
      process.kill(-child.pid, signal);
    } catch {
      // already gone
    }
  };
  // A crashed or interrupted parent must not leave a JVM behind: 'exit' covers a normal exit, the watchdog
  // covers a kill (a test runner ending a worker that timed out).
  const onExit = () => killGroup('SIGKILL');
  process.on('exit', onExit);
  const watchdog = spawn(
    'sh',
    [
      '-c',
      'while kill -0 "$0" 2>/dev/null; do sleep 2; done; kill -KILL -"$1" 2>/dev/null; rm -rf "$2"',
      String(process.pid),
      String(child.pid),
      dataDir,
    ],
    { detached: true, stdio: 'ignore' },
  );
  watchdog.unref();
  const stop = async () => {
    if (exitCode === undefined) {
      killGroup('SIGTERM');
      const timer = setTimeout(() => killGroup('SIGKILL'), 20_000);
      await exited;
      clearTimeout(timer);
    }
    process.off('exit', onExit);
    watchdog.kill('SIGKILL');
  };
  const tail = () => {
    try {
      return fs.readFileSync(logFile, 'utf8').slice(-4000);
    } catch {
      return '';
    }
  };
  return { exited, hasExited: () => exitCode !== undefined, exitCode: () => exitCode, stop, tail };
}

/**
 * Resolves once the Keycloak at `url` answers; with the `server` this process launched, fails as soon as it
 * exits and stops it on timeout, each with its log's tail.
 */
async function waitUntilAnswering(url, server, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (server?.hasExited()) {
      throw new Error(`Keycloak exited during start-up (${server.exitCode()}):\n${server.tail()}`);
    }
    try {
      const res = await fetch(`${url}/realms/master`, { signal: AbortSignal.timeout(2000) });
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await server?.stop();
      throw new Error(`Keycloak did not answer within ${timeoutMs / 1000} s:\n${server?.tail() ?? ''}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Starts the fresh dist once: Quarkus builds itself, and the master realm and admin land in the seed. */
async function buildSeed(dist, staging, log) {
  log('building the server and its seed database (once, under a minute)…');
  const adminPassword = crypto.randomBytes(12).toString('hex');
  const dataDir = path.join(staging, 'seed-run');
  const port = await freePort();
  const server = launch(dist, dataDir, port, {
    KC_BOOTSTRAP_ADMIN_USERNAME: ADMIN_USER,
    KC_BOOTSTRAP_ADMIN_PASSWORD: adminPassword,
  });
  await waitUntilAnswering(`http://127.0.0.1:${port}`, server, 300_000);
  // A clean shutdown closes the H2 file, so it can be copied as is.
  await server.stop();
  const db = path.join(dataDir, 'data', 'h2', 'keycloakdb.mv.db');
  if (!fs.existsSync(db)) throw new Error(`no seed database at ${db}:\n${server.tail()}`);
  fs.mkdirSync(path.join(dist, 'seed'), { recursive: true });
  fs.copyFileSync(db, path.join(dist, SEED_DB));
  fs.writeFileSync(
    path.join(dist, SEED_ADMIN),
    JSON.stringify({ username: ADMIN_USER, password: adminPassword }),
    {
      mode: 0o600,
    },
  );
  fs.writeFileSync(path.join(dist, '.ready'), STAMP);
}

// Leftovers of interrupted builds (each about 500 MB); a concurrent build's directory is left alone.
function removeStaleStaging(base) {
  for (const f of fs.readdirSync(base)) {
    const m = /^\.keycloak-build-(\d+)-/.exec(f);
    if (m && !isAlive(Number(m[1]))) fs.rmSync(path.join(base, f), { recursive: true, force: true });
  }
}

/**
 * Returns the Keycloak home directory, downloading, unpacking and building it on first use. Every step
 * happens in a staging directory renamed into place at the end, so an interrupted run is simply redone
 * and two concurrent runs both end with the same complete home.
 *
 * @param {{ log?: (msg: string) => void }} [opts]
 * @returns {Promise<string>}
 */
async function ensureKeycloak({ log = defaultLog } = {}) {
  const home = cacheDir(`keycloak-${VERSION}`);
  if (isReady(home)) return home;
  fs.mkdirSync(path.dirname(home), { recursive: true });
  removeStaleStaging(path.dirname(home));
  const staging = fs.mkdtempSync(path.join(path.dirname(home), `.keycloak-build-${process.pid}-`));
  try {
    const dist = unpack(download(staging, log), staging, log);
    await buildSeed(dist, staging, log);
    if (fs.existsSync(home)) {
      if (isReady(home)) return home; // a concurrent run finished first
      fs.renameSync(home, `${home}.old-${process.pid}`); // an older layout or an interrupted build
      fs.rmSync(`${home}.old-${process.pid}`, { recursive: true, force: true });
    }
    try {
      fs.renameSync(dist, home);
    } catch (err) {
      if (!isReady(home)) throw err;
    }
    log(`ready: ${home}`);
    return home;
  } finally {
    fs.rmSync(staging, { recursive: true, force: true });
  }
}

/**
 * Starts a fresh Keycloak (start-dev, H2 in a temporary directory) on a loopback port and resolves once
 * it answers. `stop()` ends it and removes its data.
 *
 * @param {{ log?: (msg: string) => void, port?: number }} [opts]
 * @returns {Promise<{ url: string, port: number, adminUser: string, adminPassword: string, stop: () => Promise<void> }>}
 */
async function startKeycloak(opts = {}) {
  const { ready, ...kc } = await launchKeycloak(opts);
  await ready;
  return kc;
}

/**
 * Launches a fresh Keycloak as `startKeycloak` does, resolving with its address and administrator at once;
 * `ready` settles when it answers (or rejects, with its log's tail, when it does not).
 *
 * @param {{ log?: (msg: string) => void, port?: number }} [opts]
 * @returns {Promise<{ url: string, port: number, adminUser: string, adminPassword: string, ready: Promise<void>, stop: () => Promise<void> }>}
 */
async function launchKeycloak({ log = defaultLog, port } = {}) {
  const home = await ensureKeycloak({ log });
  const admin = JSON.parse(fs.readFileSync(path.join(home, SEED_ADMIN), 'utf8'));
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'billing-keycloak-'));
  fs.mkdirSync(path.join(dataDir, 'data', 'h2'), { recursive: true });
  fs.copyFileSync(path.join(home, SEED_DB), path.join(dataDir, 'data', 'h2', 'keycloakdb.mv.db'));
  const httpPort = port ?? (await freePort());
  const url = `http://127.0.0.1:${httpPort}`;
  const server = launch(home, dataDir, httpPort, {});
  const cleanUp = () => fs.rmSync(dataDir, { recursive: true, force: true });
  const ready = waitUntilAnswering(url, server, START_TIMEOUT_MS).catch((err) => {
    cleanUp();
    throw err;
  });
  // Whoever awaits `ready` hears of a failure; the launch itself must not end the process over it.
  ready.catch(() => undefined);
  return {
    url,
    port: httpPort,
    adminUser: admin.username,
    adminPassword: admin.password,
    ready,
    stop: async () => {
      await server.stop();
      cleanUp();
    },
  };
}

// The production topology's Keycloak keeps its data in PostgreSQL: a second home, built for it once.
const POSTGRES_BUILD_OPTIONS = ['--db=postgres'];
const POSTGRES_STAMP = JSON.stringify({ VERSION, POSTGRES_BUILD_OPTIONS, layout: 1 });

/**
 * Returns a Keycloak home built for PostgreSQL (`kc.sh build --db=postgres`), made once from the
 * development home's unpacked distribution. The two builds cannot share a home: each start of one would
 * rebuild the other's.
 *
 * @param {{ log?: (msg: string) => void }} [opts]
 * @returns {Promise<string>}
 */
async function ensureKeycloakForPostgres({ log = defaultLog } = {}) {
  const home = cacheDir(`keycloak-${VERSION}-postgres`);
  const ready = () => {
    try {
      return fs.readFileSync(path.join(home, '.ready'), 'utf8') === POSTGRES_STAMP;
    } catch {
      return false;
    }
  };
  if (ready()) return home;
  const source = await ensureKeycloak({ log });
  removeStaleStaging(path.dirname(home));
  const staging = fs.mkdtempSync(path.join(path.dirname(home), `.keycloak-build-${process.pid}-`));
  try {
    const dist = path.join(staging, 'dist');
    fs.cpSync(source, dist, {
      recursive: true,
      filter: (from) => !['seed', 'data', '.ready'].includes(path.relative(source, from).split(path.sep)[0]),
    });
    log('building Keycloak for PostgreSQL (once, about 20 s)…');
    run(path.join(dist, 'bin', 'kc.sh'), ['build', ...POSTGRES_BUILD_OPTIONS], {
      env: { ...process.env, JAVA_OPTS_APPEND },
    });
    fs.writeFileSync(path.join(dist, '.ready'), POSTGRES_STAMP);
    if (fs.existsSync(home)) {
      if (ready()) return home;
      fs.rmSync(home, { recursive: true, force: true });
    }
    try {
      fs.renameSync(dist, home);
    } catch (err) {
      if (!ready()) throw err;
    }
    return home;
  } finally {
    fs.rmSync(staging, { recursive: true, force: true });
  }
}

/**
 * The command that runs Keycloak in production mode on PostgreSQL (what the topology's `keycloak` service
 * runs), for a caller that supervises the process itself. kc.sh execs the JVM, so the pid is Keycloak's.
 * The first start of an empty database creates the master realm and the bootstrap administrator.
 *
 * @param {{ home: string, port: number, dataDir: string, db: { url: string, user: string, password: string },
 *   admin: { user: string, password: string } }} o
 * @returns {{ command: string, args: string[], env: Record<string, string> }}
 */
function keycloakOnPostgresCommand(o) {
  fs.mkdirSync(o.dataDir, { recursive: true });
  return {
    command: path.join(o.home, 'bin', 'kc.sh'),
    args: [
      'start',
      '--optimized',
      '--http-enabled=true',
      '--hostname-strict=false',
      // One node: Infinispan's clustering would listen on more ports (7800 and random ones) of the host.
      '--cache=local',
      '--http-host=127.0.0.1',
      `--http-port=${o.port}`,
      `-Dquarkus.transaction-manager.object-store.directory=${path.join(o.dataDir, 'transaction-logs')}`,
    ],
    env: {
      KC_DB_URL: o.db.url,
      KC_DB_USERNAME: o.db.user,
      KC_DB_PASSWORD: o.db.password,
      KC_BOOTSTRAP_ADMIN_USERNAME: o.admin.user,
      KC_BOOTSTRAP_ADMIN_PASSWORD: o.admin.password,
      JAVA_OPTS_APPEND,
    },
  };
}

module.exports = {
  ensureKeycloak,
  ensureKeycloakForPostgres,
  keycloakOnPostgresCommand,
  launchKeycloak,
  startKeycloak,
  waitUntilAnswering,
  KEYCLOAK_VERSION: VERSION,
};

if (require.main === module) {
  const main = async () => {
    if (process.argv[2] === 'ensure') {
      console.log(await ensureKeycloak());
      return;
    }
    const started = Date.now();
    const kc = await startKeycloak();
    console.log(
      `Keycloak ${VERSION} on ${kc.url} (admin console ${kc.url}/admin) after ${Date.now() - started} ms`,
    );
    console.log(`admin: ${kc.adminUser} / ${kc.adminPassword}`);
    const shutdown = () => kc.stop().then(() => process.exit(0));
    process.once('SIGINT', shutdown);
    process.once('SIGTERM', shutdown);
  };
  main().catch((err) => {
    console.error(err.message);
    process.exit(1);
  });
}

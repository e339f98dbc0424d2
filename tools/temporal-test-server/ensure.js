'use strict';
// Builds, once per machine, a launcher for Temporal's Java time-skipping test
// server, because @temporalio/testing's own download of it cannot reach its
// host from here. Plain CommonJS with no npm dependencies, so it can run before
// `npm install`.
//
//   const { ensureTestServer } = require('./tools/temporal-test-server/ensure');
//   const path = await ensureTestServer({ log: console.log }); // async
//   TestWorkflowEnvironment.createTimeSkipping({
//     server: { executable: { type: 'existing-path', path } },
//   });
//
// Needs `java` (17+) and `mvn` only when the cache is cold.

const { freePort } = require('../free-port');
const crypto = require('crypto');
const fs = require('fs');
const http2 = require('http2');
const path = require('path');
const { spawn, spawnSync } = require('child_process');
const { cacheDir } = require('../cache-dir');
const { isAlive } = require('../process-alive');

const POM = path.join(__dirname, 'pom.xml');
const MAIN_CLASS = 'io.temporal.testserver.TestServer';
// The SDK gives the server about 5 s to answer, so start-up speed matters more
// than peak throughput: C1 only, the cheapest GC, no perf-data file.
const JVM_FLAGS = [
  '-XX:TieredStopAtLevel=1',
  '-XX:+UseSerialGC',
  '-XX:-UsePerfData',
  '-Xshare:auto',
  '-Dorg.slf4j.simpleLogger.defaultLogLevel=warn',
];

function defaultLog(msg) {
  process.stderr.write(`[temporal-test-server] ${msg}\n`);
}

function temporalVersion(pom) {
  const m = /<temporal\.version>\s*([^<\s]+)\s*<\/temporal\.version>/.exec(pom);
  if (!m) throw new Error(`no <temporal.version> in ${POM}`);
  return m[1];
}

function serverDir(version) {
  return cacheDir(`temporal-test-server-${version}`);
}

// Same lookup order as the mvn script, so Maven and the server share a JDK.
function findJava() {
  if (process.env.JAVA_HOME) {
    const p = path.join(process.env.JAVA_HOME, 'bin', 'java');
    if (isExecutable(p)) return p;
  }
  for (const dir of (process.env.PATH || '').split(path.delimiter)) {
    const p = path.join(dir || '.', 'java');
    if (dir && isExecutable(p)) return p;
  }
  throw new Error('java not found (set JAVA_HOME or put java on PATH)');
}

function isExecutable(p) {
  try {
    fs.accessSync(p, fs.constants.X_OK);
    return fs.statSync(p).isFile();
  } catch {
    return false;
  }
}

// A CDS archive only fits the exact JVM build that wrote it, and the wrapper
// bakes in flags and paths, so any of these changing means a rebuild.
function stampOf(pom, java) {
  const real = fs.realpathSync(java);
  const st = fs.statSync(real);
  const self = fs.readFileSync(__filename);
  return crypto
    .createHash('sha256')
    .update([pom, self, java, real, st.size, st.mtimeMs].join('\0'))
    .digest('hex');
}

function writeAtomic(file, data, mode = 0o644) {
  const tmp = `${file}.tmp-${process.pid}`;
  fs.writeFileSync(tmp, data, { mode });
  fs.chmodSync(tmp, mode); // writeFileSync's mode is masked by umask
  fs.renameSync(tmp, file);
}

function shQuote(s) {
  return `'${String(s).replace(/'/g, `'\\''`)}'`;
}

function isReady(dir, stamp) {
  try {
    if (fs.readFileSync(path.join(dir, 'ready'), 'utf8') !== stamp) return false;
    // ~/.m2 may have been cleaned since; the wrapper points into it.
    const cp = fs.readFileSync(path.join(dir, 'classpath.txt'), 'utf8');
    return (
      cp.split(path.delimiter).every((jar) => fs.existsSync(jar)) &&
      isExecutable(path.join(dir, 'test-server'))
    );
  } catch {
    return false;
  }
}

function resolveClasspath(dir, log) {
  log('resolving Maven dependencies (first run only)...');
  const out = path.join(dir, 'classpath.txt');
  const tmp = `${out}.tmp-${process.pid}`;
  const r = spawnSync(
    process.env.MVN || 'mvn',
    [
      '-B',
      '-q',
      '-Dstyle.color=never',
      '-f',
      POM,
      'dependency:build-classpath',
      '-Dmdep.includeScope=runtime',
      `-Dmdep.outputFile=${tmp}`,
    ],
    { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' },
  );
  if (r.error) throw new Error(`cannot run mvn: ${r.error.message}`);
  if (r.status !== 0) {
    throw new Error(`mvn failed (exit ${r.status}):\n${r.stdout}${r.stderr}`);
  }
  const cp = fs.readFileSync(tmp, 'utf8').trim();
  fs.unlinkSync(tmp);
  if (!cp) throw new Error('mvn produced an empty classpath');
  writeAtomic(out, cp);
  return cp;
}

// A bare gRPC call with an empty message, enough to exercise the server's
// request path so its classes land in the CDS archive. Resolves to grpc-status.
function grpcCall(port, method) {
  return new Promise((resolve, reject) => {
    const client = http2.connect(`http://127.0.0.1:${port}`);
    const done = (err, status) => {
      client.close();
      if (err) reject(err);
      else resolve(status);
    };
    client.on('error', done);
    client.setTimeout(5000, () => done(new Error(`${method} timed out`)));
    const req = client.request({
      ':method': 'POST',
      ':path': method,
      'content-type': 'application/grpc',
      te: 'trailers',
    });
    let status;
    req.on('response', (h) => {
      status = h['grpc-status'] ?? status;
    });
    req.on('trailers', (h) => {
      status = h['grpc-status'] ?? status;
    });
    req.on('error', done);
    req.on('end', () => done(null, status));
    req.resume();
    req.end(Buffer.alloc(5)); // uncompressed flag + zero length
  });
}

const TRAINING_CALLS = [
  '/temporal.api.workflowservice.v1.WorkflowService/GetSystemInfo',
  '/temporal.api.workflowservice.v1.WorkflowService/DescribeNamespace',
  '/temporal.api.testservice.v1.TestService/GetCurrentTime',
  '/temporal.api.testservice.v1.TestService/UnlockTimeSkipping',
  '/temporal.api.testservice.v1.TestService/LockTimeSkipping',
];

// Runs the server once with -XX:ArchiveClassesAtExit, so later starts map the
// already-parsed classes instead of loading ~40 jars (start-up roughly halves).
// Best effort: without the archive the server still starts, only slower.
async function buildCdsArchive(dir, java, cp, log) {
  log('creating class-data-sharing archive...');
  const archive = path.join(dir, 'app.jsa');
  const tmp = `${archive}.tmp-${process.pid}`;
  const port = await freePort();
  const child = spawn(
    java,
    [...JVM_FLAGS, `-XX:ArchiveClassesAtExit=${tmp}`, '-cp', cp, MAIN_CLASS, String(port)],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const stopGuard = killOnParentExit(child);
  let output = '';
  child.stdout.on('data', (d) => {
    output += d;
  });
  child.stderr.on('data', (d) => {
    output += d;
  });
  const exited = new Promise((resolve) => child.on('close', resolve)).finally(stopGuard);
  let alive = true;
  child.on('exit', () => {
    alive = false;
  });
  try {
    const deadline = Date.now() + 60000;
    for (;;) {
      if (!alive) throw new Error('server exited during start-up');
      try {
        if ((await grpcCall(port, TRAINING_CALLS[0])) === '0') break;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) throw new Error('server did not start in 60 s');
      await new Promise((r) => setTimeout(r, 100));
    }
    for (const m of TRAINING_CALLS) await grpcCall(port, m);
  } catch (err) {
    log(`skipping CDS archive: ${err.message}\n${output.slice(-2000)}`);
    child.kill('SIGKILL');
    await exited;
    fs.rmSync(tmp, { force: true });
    return null;
  }
  // SIGTERM makes the JVM exit normally, which is when it writes the archive.
  child.kill('SIGTERM');
  await exited;
  if (!fs.existsSync(tmp) || fs.statSync(tmp).size === 0) {
    log(`skipping CDS archive: JVM did not write it\n${output.slice(-2000)}`);
    fs.rmSync(tmp, { force: true });
    return null;
  }
  fs.renameSync(tmp, archive);
  return archive;
}

// Otherwise a Ctrl-C or a test runner's SIGTERM during the cold build would
// leave the training server running with nobody to stop it.
function killOnParentExit(child) {
  const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  const onExit = () => child.kill('SIGKILL');
  const onSignal = (sig) => {
    stop();
    onExit();
    process.kill(process.pid, sig);
  };
  const stop = () => {
    process.off('exit', onExit);
    for (const sig of signals) process.off(sig, onSignal);
  };
  process.on('exit', onExit);
  for (const sig of signals) process.on(sig, onSignal);
  return stop;
}

function wrapperScript(java, cp, archive) {
  const flags = [...JVM_FLAGS];
  if (archive) flags.push(`-XX:SharedArchiveFile=${archive}`);
  // exec matters: the SDK stops the server by killing the process it spawned.
  return [
    '#!/bin/sh',
    '# Generated by tools/temporal-test-server/ensure.js; usage: test-server <port>',
    `exec ${shQuote(java)} ${flags.map(shQuote).join(' ')} \\`,
    `  -cp ${shQuote(cp)} \\`,
    `  ${MAIN_CLASS} "$@"`,
    '',
  ].join('\n');
}

// Leftovers of interrupted runs; a concurrent run's files are left alone.
function removeStaleTemps(dir) {
  for (const f of fs.readdirSync(dir)) {
    const m = /\.tmp-(\d+)$/.exec(f);
    if (m && !isAlive(Number(m[1]))) fs.rmSync(path.join(dir, f), { force: true });
  }
}

/**
 * Returns (a promise of) the absolute path of an executable `test-server`
 * wrapper, building it on first use. Later calls only stat a few files.
 * Concurrent or interrupted runs are safe: every file is written to a
 * temporary name and renamed into place, and `ready` is written last.
 *
 * @param {{ log?: (msg: string) => void }} [opts] progress messages go here
 *   (default: stderr); pass `() => {}` to silence.
 * @returns {Promise<string>}
 */
async function ensureTestServer({ log = defaultLog } = {}) {
  const pom = fs.readFileSync(POM, 'utf8');
  const dir = serverDir(temporalVersion(pom));
  const wrapper = path.join(dir, 'test-server');
  const java = findJava();
  const stamp = stampOf(pom, java);
  if (isReady(dir, stamp)) return wrapper;

  fs.mkdirSync(dir, { recursive: true });
  removeStaleTemps(dir);
  fs.rmSync(path.join(dir, 'ready'), { force: true });
  const cp = resolveClasspath(dir, log);
  const archive = await buildCdsArchive(dir, java, cp, log);
  writeAtomic(wrapper, wrapperScript(java, cp, archive), 0o755);
  writeAtomic(path.join(dir, 'ready'), stamp);
  log(`ready: ${wrapper}`);
  return wrapper;
}

module.exports = { ensureTestServer };

if (require.main === module) {
  ensureTestServer().then(
    (p) => console.log(p),
    (err) => {
      console.error(err.message);
      process.exit(1);
    },
  );
}

'use strict';
/**
 * PostgreSQL for tests: finds the server binaries (installing Debian's package when missing and we are
 * root), and starts a throwaway cluster in a temporary directory on a free loopback port.
 * Plain CommonJS with no dependencies: it runs before `npm install` and from jest's global setup.
 */
const { freePort } = require('./free-port');
const { installDebianPackage } = require('./debian-package');
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

function findBinDir() {
  const root = '/usr/lib/postgresql';
  if (fs.existsSync(root)) {
    const versions = fs
      .readdirSync(root)
      .filter((v) => fs.existsSync(path.join(root, v, 'bin', 'initdb')))
      .sort((a, b) => Number(b) - Number(a));
    if (versions.length) return path.join(root, versions[0], 'bin');
  }
  for (const dir of (process.env.PATH || '').split(':')) {
    if (dir && fs.existsSync(path.join(dir, 'initdb')) && fs.existsSync(path.join(dir, 'pg_ctl'))) return dir;
  }
  return null;
}

/** Returns the directory of initdb/pg_ctl/postgres, installing PostgreSQL from Debian's packages if needed. */
function ensurePostgres({ log = console.log } = {}) {
  let bin = findBinDir();
  if (bin) return bin;
  installDebianPackage('postgresql', 'PostgreSQL', { log });
  bin = findBinDir();
  if (!bin) throw new Error('PostgreSQL was installed but initdb was not found under /usr/lib/postgresql');
  return bin;
}

/** PostgreSQL refuses to run as root, so as root the cluster belongs to the `postgres` system user. */
function asServerUser(cmd, args) {
  const root = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!root) return [cmd, args];
  return ['runuser', ['-u', 'postgres', '--', cmd, ...args]];
}

function run(cmd, args) {
  const [c, a] = asServerUser(cmd, args);
  execFileSync(c, a, { stdio: ['ignore', 'ignore', 'pipe'] });
}

/**
 * Starts a cluster with trust auth on 127.0.0.1; resolves to { url, stop() }.
 * Tuned for tests (fsync off): never a place for data that matters. `durable: true` keeps PostgreSQL's
 * own defaults (fsync, synchronous_commit, full_page_writes on), for benchmarks whose figures claim a
 * commit reached the disk.
 */
async function startThrowawayCluster({ log = () => {}, durable = false } = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'billing-pg-'));
  const server = await startPostgres({ dir, log, durable });
  const stop = () => {
    try {
      server.stop({ crash: true });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  };
  return { url: server.url, port: server.port, stop };
}

/**
 * A cluster whose data stays in `dir` (created on first start, reused after): `npm run cluster` keeps
 * its databases between runs. Durable (PostgreSQL's defaults) unless `durable: false`. Resolves to
 * { url, port, dir, stop({ crash }), start(), restart({ crash }) }: `crash` stops it as a power cut would (immediate
 * shutdown, recovery from the write-ahead log at the next start).
 */
async function startPostgres({ dir, port, log = () => {}, durable = true } = {}) {
  const bin = ensurePostgres({ log });
  const dataDir = path.join(dir, 'data');
  const root = typeof process.getuid === 'function' && process.getuid() === 0;
  fs.mkdirSync(dir, { recursive: true });
  if (root) execFileSync('chown', ['postgres', dir]);
  if (!fs.existsSync(path.join(dataDir, 'PG_VERSION'))) {
    fs.rmSync(dataDir, { recursive: true, force: true });
    run(path.join(bin, 'initdb'), [
      '-D',
      dataDir,
      '-U',
      'postgres',
      '--auth=trust',
      '-E',
      'UTF8',
      '--locale=C.UTF-8',
    ]);
  } else {
    // A run that was killed leaves its server behind; it holds the data directory and the port.
    try {
      run(path.join(bin, 'pg_ctl'), ['-D', dataDir, '-m', 'fast', '-w', 'stop']);
    } catch {
      // not running
    }
  }
  port ??= await freePort();
  const tuning = durable ? '' : ' -c fsync=off -c synchronous_commit=off -c full_page_writes=off';
  const opts = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1${tuning} -c max_connections=200`;
  const pgCtl = (args) => run(path.join(bin, 'pg_ctl'), ['-D', dataDir, ...args]);
  const start = () => pgCtl(['-o', opts, '-l', path.join(dir, 'server.log'), '-w', 'start']);
  start();
  log(`PostgreSQL ${path.basename(path.dirname(bin))} on 127.0.0.1:${port}`);
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    dir,
    stop: ({ crash = false } = {}) => pgCtl(['-m', crash ? 'immediate' : 'fast', '-w', 'stop']),
    start,
    restart: ({ crash = false } = {}) => {
      pgCtl(['-m', crash ? 'immediate' : 'fast', '-w', 'stop']);
      start();
    },
  };
}

/** Creates a fresh database in the cluster (each suite gets its own) and returns its URL. */
function createDatabase(clusterUrl, name) {
  const u = new URL(clusterUrl);
  const bin = ensurePostgres();
  execFileSync(path.join(bin, 'createdb'), ['-h', u.hostname, '-p', u.port, '-U', 'postgres', name], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  u.pathname = `/${name}`;
  return u.toString();
}

module.exports = { ensurePostgres, startThrowawayCluster, startPostgres, createDatabase };

if (require.main === module) {
  ensurePostgres();
  console.log(findBinDir());
}

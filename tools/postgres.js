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

function run(cmd, args, { input } = {}) {
  const [c, a] = asServerUser(cmd, args);
  if (input === undefined) execFileSync(c, a, { stdio: ['ignore', 'ignore', 'pipe'] });
  else execFileSync(c, a, { input, stdio: ['pipe', 'ignore', 'pipe'] });
}

// Every connection proves a password with SCRAM, over TCP and over the socket: none is trusted.
const PASSWORD_HBA = `# Written by tools/postgres.js at each start: every connection proves a password (SCRAM).
local   all   all                  scram-sha-256
host    all   all   127.0.0.1/32   scram-sha-256
`;

/**
 * Gives the superuser this password while the server is stopped (single-user mode: no connection, so no
 * authentication, and the password goes in on stdin, never on a command line), then lets only passwords
 * in. A data folder made with trust before is switched over the same way.
 */
function requirePasswords(bin, dataDir, password) {
  const literal = `'${String(password).replace(/'/g, "''")}'`;
  run(
    path.join(bin, 'postgres'),
    ['--single', '-D', dataDir, '-c', 'password_encryption=scram-sha-256', 'postgres'],
    {
      input: `ALTER ROLE postgres WITH PASSWORD ${literal}\n`,
    },
  );
  const hba = path.join(dataDir, 'pg_hba.conf');
  fs.writeFileSync(hba, PASSWORD_HBA);
  if (typeof process.getuid === 'function' && process.getuid() === 0)
    execFileSync('chown', ['postgres', hba]);
}

/**
 * Starts a cluster with trust auth on 127.0.0.1 (anyone on the machine gets in: tests only); resolves to
 * { url, stop() }.
 * Tuned for tests (fsync off): never a place for data that matters. `durable: true` keeps PostgreSQL's
 * own defaults (fsync, synchronous_commit, full_page_writes on), for benchmarks whose figures claim a
 * commit reached the disk; `settings` adds server settings (bench:usage's `--statements` loads
 * pg_stat_statements).
 */
async function startThrowawayCluster({ log = () => {}, durable = false, settings = {} } = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'billing-pg-'));
  const server = await startPostgres({ dir, log, durable, settings });
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
 *
 * With `superuserPassword`, every connection must prove a password (scram-sha-256, TCP and socket alike)
 * and the superuser's is set to this one at every start, so a caller that makes one per run leaves none
 * valid behind; the URL carries it. Without, trust as before (the test suite's throwaway clusters).
 */
async function startPostgres({
  dir,
  port,
  log = () => {},
  durable = true,
  superuserPassword,
  settings = {},
} = {}) {
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
  if (superuserPassword !== undefined) requirePasswords(bin, dataDir, superuserPassword);
  port ??= await freePort();
  const tuning = durable ? '' : ' -c fsync=off -c synchronous_commit=off -c full_page_writes=off';
  // Further server settings a benchmark asks for (`settings`: name to value, values without spaces).
  const extra = Object.entries(settings)
    .map(([k, v]) => {
      // They travel in one option string pg_ctl hands to a shell: nothing that string could split or expand.
      if (!/^[a-z_.]+$/.test(k) || !/^[\w.:/-]+$/.test(String(v)))
        throw new Error(
          `PostgreSQL setting ${JSON.stringify(k)}=${JSON.stringify(v)}: only plain names and values`,
        );
      return ` -c ${k}=${v}`;
    })
    .join('');
  const opts = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1${tuning} -c max_connections=200${extra}`;
  const pgCtl = (args) => run(path.join(bin, 'pg_ctl'), ['-D', dataDir, ...args]);
  const start = () => pgCtl(['-o', opts, '-l', path.join(dir, 'server.log'), '-w', 'start']);
  start();
  log(`PostgreSQL ${path.basename(path.dirname(bin))} on 127.0.0.1:${port}`);
  const user =
    superuserPassword === undefined ? 'postgres' : `postgres:${encodeURIComponent(superuserPassword)}`;
  return {
    url: `postgres://${user}@127.0.0.1:${port}/postgres`,
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

/**
 * Creates a fresh database in the cluster (each suite gets its own) and returns its URL; with `template`, a
 * copy of that database (which nothing may be connected to).
 */
function createDatabase(clusterUrl, name, template) {
  const u = new URL(clusterUrl);
  const bin = ensurePostgres();
  const copy = template ? ['-T', template] : [];
  execFileSync(
    path.join(bin, 'createdb'),
    ['-h', u.hostname, '-p', u.port, '-U', 'postgres', ...copy, name],
    {
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  u.pathname = `/${name}`;
  return u.toString();
}

module.exports = { ensurePostgres, startThrowawayCluster, startPostgres, createDatabase };

if (require.main === module) {
  ensurePostgres();
  console.log(findBinDir());
}

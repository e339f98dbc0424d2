'use strict';
/**
 * The real Temporal CLI (dev server with SQLite persistence and the embedded Web UI), built from the Go
 * module proxy into the user's cache. v1.5.1 is the newest tag `go install` accepts: later tags carry a
 * `replace` directive in go.mod, which `go install pkg@version` refuses.
 */
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { cacheDir } = require('./cache-dir');

const VERSION = 'v1.5.1';
const MODULE = 'github.com/temporalio/cli/cmd/temporal';

function ensureTemporalCli({ log = console.log } = {}) {
  if (process.env.TEMPORAL_CLI_PATH && fs.existsSync(process.env.TEMPORAL_CLI_PATH)) {
    return process.env.TEMPORAL_CLI_PATH;
  }
  const dir = cacheDir(`temporal-cli-${VERSION}`);
  const bin = path.join(dir, 'temporal');
  if (fs.existsSync(bin)) return bin;
  try {
    execFileSync('go', ['version'], { stdio: 'ignore' });
  } catch {
    throw new Error(
      'Go is needed once to build the Temporal CLI (go install from the Go module proxy); install Go 1.23+',
    );
  }
  log(`Building the Temporal CLI ${VERSION} from the Go module proxy (once, a few minutes)…`);
  // A new machine has no cache folder yet.
  fs.mkdirSync(path.dirname(dir), { recursive: true });
  const staging = fs.mkdtempSync(path.join(path.dirname(dir), '.temporal-build-'));
  execFileSync('go', ['install', '-trimpath', '-ldflags=-s -w', `${MODULE}@${VERSION}`], {
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...process.env, CGO_ENABLED: '0', GOBIN: staging, GOTOOLCHAIN: 'local', GOFLAGS: '-mod=mod' },
  });
  fs.mkdirSync(dir, { recursive: true });
  // Renamed into place only when complete, so an interrupted build is simply redone.
  fs.renameSync(path.join(staging, 'temporal'), bin);
  fs.rmSync(staging, { recursive: true, force: true });
  return bin;
}

/**
 * The production server's dynamic config that changes how the engine's work is served, for the dev
 * server too (ops/temporal/dynamicconfig/production.yaml says why).
 */
const DEV_SERVER_DYNAMIC_CONFIG = ['--dynamic-config-value', 'system.enableActivityEagerExecution=true'];

module.exports = { ensureTemporalCli, TEMPORAL_CLI_VERSION: VERSION, DEV_SERVER_DYNAMIC_CONFIG };

if (require.main === module) console.log(ensureTemporalCli());

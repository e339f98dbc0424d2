'use strict';
/**
 * The real Temporal server (`temporal-server`: frontend, history, matching and worker services, every
 * persistence plugin, TLS and mTLS on its frontend), built from the Go module proxy into the user's cache.
 * The dev server of the CLI has no TLS; this one runs from a config file, as a production cluster does.
 *
 * It is the server the CLI (tools/temporal-cli.js) embeds, built against the CLI's own module graph (a
 * throwaway module that requires the CLI): every dependency is then the version the CLI build compiled,
 * so Go reuses that build's cache and only the server's own packages and its other persistence plugins
 * are compiled.
 */
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { cacheDir } = require('./cache-dir');
const { TEMPORAL_CLI_VERSION } = require('./temporal-cli');

// The go.temporal.io/server requirement in the go.mod of github.com/temporalio/cli at TEMPORAL_CLI_VERSION.
const VERSION = 'v1.29.1';

/**
 * What a production cluster runs besides the server: Temporal's SQL tool (creates and upgrades the
 * persistence and visibility schemas, embedded in it) and the web UI's server (its assets embedded),
 * the UI at the version the CLI's dev server embeds.
 */
const BINARIES = {
  'temporal-server': { pkg: 'go.temporal.io/server/cmd/server', env: 'TEMPORAL_SERVER_PATH' },
  'temporal-sql-tool': { pkg: 'go.temporal.io/server/cmd/tools/sql', env: 'TEMPORAL_SQL_TOOL_PATH' },
  'temporal-ui-server': { pkg: 'github.com/temporalio/ui-server/v2/cmd/server', env: 'TEMPORAL_UI_PATH' },
};

function ensureTemporalServer({ log = console.log } = {}) {
  return ensureBinary('temporal-server', { log });
}

/** The server, the SQL tool and the UI server, each built once; returns their paths. */
function ensureTemporalTools({ log = console.log } = {}) {
  return {
    server: ensureBinary('temporal-server', { log }),
    sqlTool: ensureBinary('temporal-sql-tool', { log }),
    ui: ensureBinary('temporal-ui-server', { log }),
  };
}

function ensureBinary(name, { log }) {
  const { pkg, env } = BINARIES[name];
  if (process.env[env] && fs.existsSync(process.env[env])) return process.env[env];
  const dir = cacheDir(`temporal-server-${VERSION}`);
  const bin = path.join(dir, name);
  if (fs.existsSync(bin)) return bin;
  try {
    execFileSync('go', ['version'], { stdio: 'ignore' });
  } catch {
    throw new Error(
      'Go is needed once to build the Temporal server (go build from the Go module proxy); install Go 1.25+',
    );
  }
  log(`Building ${name} (Temporal ${VERSION}) from the Go module proxy (once, a minute or two)…`);
  fs.mkdirSync(path.dirname(dir), { recursive: true });
  const staging = fs.mkdtempSync(path.join(path.dirname(dir), '.temporal-server-build-'));
  try {
    fs.writeFileSync(
      path.join(staging, 'go.mod'),
      [
        'module billing-engine/temporal-server-build',
        '',
        'go 1.25.0',
        '',
        `require github.com/temporalio/cli ${TEMPORAL_CLI_VERSION}`,
        '',
        `require go.temporal.io/server ${VERSION}`,
        '',
      ].join('\n'),
    );
    execFileSync('go', ['build', '-trimpath', '-ldflags=-s -w', '-o', path.join(staging, name), pkg], {
      cwd: staging,
      stdio: ['ignore', 'inherit', 'inherit'],
      env: { ...process.env, CGO_ENABLED: '0', GOTOOLCHAIN: 'local', GOFLAGS: '-mod=mod' },
    });
    // A newer CLI embedding a newer server would otherwise put that server under this version's name.
    const built = execFileSync('go', ['list', '-m', '-f', '{{.Version}}', 'go.temporal.io/server'], {
      cwd: staging,
      encoding: 'utf8',
      env: { ...process.env, GOTOOLCHAIN: 'local', GOFLAGS: '-mod=mod' },
    }).trim();
    if (built !== VERSION) {
      throw new Error(`The CLI ${TEMPORAL_CLI_VERSION} embeds Temporal server ${built}: set VERSION to it`);
    }
    fs.mkdirSync(dir, { recursive: true });
    // Renamed into place only when complete, so an interrupted build is simply redone.
    fs.renameSync(path.join(staging, name), bin);
  } finally {
    fs.rmSync(staging, { recursive: true, force: true });
  }
  return bin;
}

module.exports = { ensureTemporalServer, ensureTemporalTools, TEMPORAL_SERVER_VERSION: VERSION };

if (require.main === module) console.log(ensureTemporalTools());

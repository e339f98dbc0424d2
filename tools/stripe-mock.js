'use strict';
/**
 * Stripe's official stripe-mock (a stateless server that validates requests against Stripe's OpenAPI
 * spec), built from the Go module proxy into the user's cache. It checks that the calls the engine makes
 * are ones the real API accepts; the stateful behaviour comes from tools/stripe-emulator.
 * v0.203.0 is the newest version on the proxy and installs with `go install pkg@version`.
 */
const { freePort } = require('./free-port');
const { tiedToParent } = require('./tied-child');
const { execFileSync, spawn } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const http = require('node:http');
const path = require('node:path');
const { cacheDir } = require('./cache-dir');

const VERSION = 'v0.203.0';
const MODULE = 'github.com/stripe/stripe-mock';

function ensureStripeMock({ log = console.log } = {}) {
  if (process.env.STRIPE_MOCK_PATH && fs.existsSync(process.env.STRIPE_MOCK_PATH)) {
    return process.env.STRIPE_MOCK_PATH;
  }
  const dir = cacheDir(`stripe-mock-${VERSION}`);
  const bin = path.join(dir, 'stripe-mock');
  if (fs.existsSync(bin)) return bin;
  try {
    execFileSync('go', ['version'], { stdio: 'ignore' });
  } catch {
    throw new Error(
      'Go is needed once to build stripe-mock (go install from the Go module proxy); install Go 1.23+',
    );
  }
  log(`Building stripe-mock ${VERSION} from the Go module proxy (once, about a minute)…`);
  fs.mkdirSync(path.dirname(dir), { recursive: true });
  // A new machine has no cache folder yet.
  fs.mkdirSync(path.dirname(dir), { recursive: true });
  const staging = fs.mkdtempSync(path.join(path.dirname(dir), '.stripe-mock-build-'));
  execFileSync('go', ['install', '-trimpath', '-ldflags=-s -w', `${MODULE}@${VERSION}`], {
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...process.env, CGO_ENABLED: '0', GOBIN: staging, GOTOOLCHAIN: 'local', GOFLAGS: '-mod=mod' },
  });
  fs.mkdirSync(dir, { recursive: true });
  // Renamed into place only when complete, so an interrupted build is simply redone.
  fs.renameSync(path.join(staging, 'stripe-mock'), bin);
  fs.rmSync(staging, { recursive: true, force: true });
  return bin;
}

function accepts(port) {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Whether the server on `port` is stripe-mock: every answer of stripe-mock carries its version. */
function answersAsStripeMock(port) {
  return new Promise((resolve) => {
    const req = http.get(
      { host: '127.0.0.1', port, path: '/v1/charges', headers: { authorization: 'Bearer sk_test_123' } },
      (res) => {
        res.resume();
        resolve(res.headers['stripe-mock-version'] !== undefined);
      },
    );
    req.once('error', () => resolve(false));
    req.setTimeout(5000, () => req.destroy());
  });
}

/**
 * Starts stripe-mock on free loopback ports and resolves to `{ url, port, stop() }` once it accepts
 * connections. `-http-addr`/`-https-addr` are the address forms of `-http-port`/`-https-port`, used so
 * the server binds 127.0.0.1 only. A free port can be taken by another test's server between being found
 * and being bound: stripe-mock then exits, while the port accepts connections all the same (the other
 * server's), so a start counts only once the port answers as stripe-mock (its `stripe-mock-version`
 * header); otherwise it is tried again on other ports.
 */
async function startStripeMock({ log = console.log, timeoutMs = 30_000 } = {}) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce({ log, timeoutMs });
    } catch (err) {
      if (!(err instanceof PortTaken) || attempt >= 5) throw err;
      log(`stripe-mock: ${err.message}; trying other ports`);
    }
  }
}

class PortTaken extends Error {}

async function startOnce({ log, timeoutMs }) {
  const bin = ensureStripeMock({ log });
  const httpPort = await freePort();
  const httpsPort = await freePort();
  const child = spawn(
    ...tiedToParent(bin, ['-http-addr', `127.0.0.1:${httpPort}`, '-https-addr', `127.0.0.1:${httpsPort}`]),
    {
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  let exited = null;
  child.once('exit', (code) => (exited = code));
  const stop = () =>
    new Promise((resolve) => {
      if (exited !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    });
  const deadline = Date.now() + timeoutMs;
  while (!(await accepts(httpPort))) {
    if (exited !== null) throw new Error(`stripe-mock exited with ${exited}: ${stderr.slice(-2000)}`);
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`stripe-mock did not accept connections within ${timeoutMs} ms`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  if (!(await answersAsStripeMock(httpPort))) {
    await stop();
    throw new PortTaken(`port ${httpPort} answers, but not as stripe-mock`);
  }
  return { url: `http://127.0.0.1:${httpPort}`, port: httpPort, httpsPort, stop };
}

module.exports = { ensureStripeMock, startStripeMock, STRIPE_MOCK_VERSION: VERSION };

if (require.main === module) console.log(ensureStripeMock());

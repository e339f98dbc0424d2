/**
 * The engine reaching a real Temporal server through TLS and mTLS, with a certificate authority made in
 * the test. The connection options come from the environment variables an operator sets, through the
 * same function the API, the worker and the tools use.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { loadConfig } from '../../config/env';
import { temporalConnectionOptions, type TemporalConnectionOptions } from '../../config/temporal-connection';
import { catalogSyncWorkflow } from '../../workflows';
import { workflowBundle } from '../helpers/temporal';
import { startTlsTemporalServer, type RunningTemporalServer } from '../helpers/temporal-server';
import { makeTestCa, type TestCa } from '../helpers/test-ca';
import { waitUntil } from '../helpers/eventually';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { freePort } = require('../../tools/free-port') as { freePort: () => Promise<number> };

const NAMESPACE = 'billing';
// The server's certificate names this host only, never 127.0.0.1: a client must be told the name.
const SERVER_NAME = 'temporal.test';

function optionsFrom(env: Record<string, string>): TemporalConnectionOptions {
  return temporalConnectionOptions(loadConfig({ NODE_ENV: 'test', ...env }));
}

/**
 * The API's kind of client (a lazy connection, as api/main.ts makes): describes the namespace. No retries,
 * so a refusal answers at once with the channel's last error (the handshake's).
 */
async function describeThrough(options: TemporalConnectionOptions): Promise<string> {
  const connection = Connection.lazy({ ...options, interceptors: [] });
  try {
    const { namespaceInfo } = await connection.withDeadline(Date.now() + 10_000, () =>
      connection.workflowService.describeNamespace({ namespace: NAMESPACE }),
    );
    return namespaceInfo?.name ?? '';
  } finally {
    await connection.close();
  }
}

/** The worker's connection: answers once it is connected (an error if refused). */
async function nativeConnect(options: TemporalConnectionOptions): Promise<void> {
  const connection = await NativeConnection.connect(options);
  await connection.close();
}

/**
 * A client on the API's kind of connection starts the catalog sync; a worker on the worker's kind of
 * connection runs it; both built from the same options.
 */
async function runWorkflowThrough(options: TemporalConnectionOptions, taskQueue: string) {
  const native = await NativeConnection.connect(options);
  const connection = await Connection.connect(options);
  let syncs = 0;
  try {
    const worker = await Worker.create({
      connection: native,
      namespace: NAMESPACE,
      taskQueue,
      workflowBundle: workflowBundle(),
      activities: {
        async syncStripeCatalog() {
          syncs++;
        },
      },
    });
    const client = new Client({ connection, namespace: NAMESPACE });
    const passes = await worker.runUntil(
      client.workflow.execute(catalogSyncWorkflow, { workflowId: `catalog-${taskQueue}`, taskQueue }),
    );
    return { passes, syncs };
  } finally {
    await connection.close();
    await native.close();
  }
}

/** Why the attempt was refused (the assertions name the TLS failure expected), or `accepted`. */
async function refusal(attempt: Promise<unknown>): Promise<string> {
  try {
    await attempt;
  } catch (err) {
    return String((err as Error).message ?? err);
  }
  return 'accepted';
}

/** `api/main.ts` or `worker/main.ts` as deployed: a process of its own, configured by its environment. */
function startProcess(
  entry: string,
  env: Record<string, string>,
): { child: ChildProcess; output: () => string } {
  const child = spawn(process.execPath, ['--import', 'tsx', entry], {
    cwd: join(__dirname, '..', '..'),
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (chunk: Buffer) => (output = (output + chunk.toString()).slice(-8000));
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  return { child, output: () => output };
}

async function stopProcess(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

let dir: string;
let ca: TestCa;
let otherCa: TestCa;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'temporal-tls-'));
  ca = makeTestCa(dir, 'ca');
  otherCa = makeTestCa(dir, 'other-ca');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('Temporal over TLS, with a server certificate from a CA made in the test', () => {
  let server: RunningTemporalServer;
  let engineEnv: Record<string, string>;
  beforeAll(async () => {
    const cert = ca.issue('tls-server', { server: [SERVER_NAME] });
    server = await startTlsTemporalServer({
      dir: join(dir, 'tls'),
      ...cert,
      namespace: NAMESPACE,
      client: (address) =>
        optionsFrom({
          TEMPORAL_ADDRESS: address,
          TEMPORAL_TLS_SERVER_CA_CERT_PATH: ca.certPath,
          TEMPORAL_TLS_SERVER_NAME: SERVER_NAME,
        }),
    });
    engineEnv = {
      TEMPORAL_ADDRESS: server.address,
      TEMPORAL_TLS_SERVER_CA_CERT_PATH: ca.certPath,
      TEMPORAL_TLS_SERVER_NAME: SERVER_NAME,
    };
  }, 180_000);
  afterAll(() => server?.stop());

  it("runs a workflow with the API's client and the worker's native connection, built from TEMPORAL_TLS_* alone", async () => {
    const options = optionsFrom(engineEnv);
    expect(await describeThrough(options)).toBe(NAMESPACE);
    expect(await runWorkflowThrough(options, 'tls')).toEqual({ passes: 1, syncs: 1 });
  });

  it("refuses a client that trusts only the system's roots, not the test CA", async () => {
    const options = optionsFrom({ TEMPORAL_ADDRESS: server.address, TEMPORAL_TLS_SERVER_NAME: SERVER_NAME });
    expect(options.tls).toEqual({ serverNameOverride: SERVER_NAME });
    expect(await refusal(describeThrough(options))).toMatch(/unable to verify the first certificate/);
    expect(await refusal(nativeConnect(options))).toMatch(/InvalidCertificate\(UnknownIssuer\)/);
  });

  it('refuses a client that trusts a different CA', async () => {
    const options = optionsFrom({ ...engineEnv, TEMPORAL_TLS_SERVER_CA_CERT_PATH: otherCa.certPath });
    expect(await refusal(describeThrough(options))).toMatch(/unable to verify the first certificate/);
    expect(await refusal(nativeConnect(options))).toMatch(/InvalidCertificate\(UnknownIssuer\)/);
  });

  it("checks the certificate against the address's host when no server name is given", async () => {
    const options = optionsFrom({
      TEMPORAL_ADDRESS: server.address,
      TEMPORAL_TLS_SERVER_CA_CERT_PATH: ca.certPath,
    });
    expect(await refusal(describeThrough(options))).toMatch(/ERR_TLS_CERT_ALTNAME_INVALID/);
    expect(await refusal(nativeConnect(options))).toMatch(/InvalidCertificate\(NotValidForName/);
  });

  it('gets nothing from the TLS port in plaintext (TEMPORAL_TLS=false)', async () => {
    const options = optionsFrom({ TEMPORAL_ADDRESS: server.address, TEMPORAL_TLS: 'false' });
    expect(options.tls).toBeUndefined();
    expect(await refusal(describeThrough(options))).toMatch(/UNAVAILABLE/);
  });
});

/**
 * TLS 1.3 completes the client's side of the handshake before the server checks the client's certificate:
 * the refusal reaches the client as the server's alert (certificate required, unknown CA, bad
 * certificate), a reset or a broken pipe, whichever it meets first. Each is a connection refused at the
 * transport, never an answer from Temporal.
 */
const REFUSED_AFTER_HANDSHAKE = /UNAVAILABLE: No connection established/;
const NATIVE_REFUSED_AFTER_HANDSHAKE = /transport error|tonic::transport::Error/;

describe('Temporal with mTLS: client certificates from the test CA required', () => {
  let server: RunningTemporalServer;
  let engineEnv: Record<string, string>;
  let engineCert: { certPath: string; keyPath: string };
  beforeAll(async () => {
    const cert = ca.issue('mtls-server', { server: [SERVER_NAME] });
    engineCert = ca.issue('billing-engine', 'client');
    const withCert = (address: string) => ({
      TEMPORAL_ADDRESS: address,
      TEMPORAL_TLS_SERVER_CA_CERT_PATH: ca.certPath,
      TEMPORAL_TLS_SERVER_NAME: SERVER_NAME,
      TEMPORAL_TLS_CLIENT_CERT_PATH: engineCert.certPath,
      TEMPORAL_TLS_CLIENT_KEY_PATH: engineCert.keyPath,
    });
    server = await startTlsTemporalServer({
      dir: join(dir, 'mtls'),
      ...cert,
      clientCaPaths: [ca.certPath],
      namespace: NAMESPACE,
      client: (address) => optionsFrom(withCert(address)),
    });
    engineEnv = withCert(server.address);
  }, 180_000);
  afterAll(() => server?.stop());

  it('accepts the engine with its client certificate: a workflow runs through the client and the worker', async () => {
    const options = optionsFrom(engineEnv);
    expect(options.tls?.clientCertPair).toBeDefined();
    expect(await describeThrough(options)).toBe(NAMESPACE);
    expect(await runWorkflowThrough(options, 'mtls')).toEqual({ passes: 1, syncs: 1 });
  });

  it('lets the API and the worker processes, configured only by TEMPORAL_TLS_* variables, reach Temporal: /readyz is ready', async () => {
    const varDir = mkdtempSync(join(dir, 'processes-'));
    const port = await freePort();
    const env = {
      ...engineEnv,
      NODE_ENV: 'test',
      LOG_LEVEL: 'info',
      PORT: String(port),
      DATABASE_URL: `sqlite:${join(varDir, 'billing.sqlite')}`,
      VAR_DIR: varDir,
      TEMPORAL_NAMESPACE: NAMESPACE,
      TEMPORAL_TASK_QUEUE: 'mtls-processes',
      // Never fetched: no request here carries a token.
      OIDC_ISSUER: 'http://127.0.0.1:1/realms/none',
      OIDC_AUDIENCE: 'billing-engine',
    };
    const api = startProcess('api/main.ts', env);
    let worker: ReturnType<typeof startProcess> | undefined;
    try {
      const readyz = () =>
        fetch(`http://127.0.0.1:${port}/readyz`).then(
          async (r) => ({ status: r.status, body: (await r.json()) as { checks: Record<string, string> } }),
          () => null,
        );
      // The API migrates the database the worker opens.
      await waitUntil(readyz, (r) => r !== null, 'the API to answer', 90_000, 250);
      worker = startProcess('worker/main.ts', {
        ...env,
        WORKFLOW_BUNDLE_PATH: workflowBundle().codePath,
      });
      const ready = await waitUntil(
        readyz,
        (r) => r?.status === 200 || api.child.exitCode !== null || worker?.child.exitCode !== null,
        'the API to see Temporal and a polling worker',
        90_000,
        250,
      ).catch((err: Error) => {
        throw new Error(`${err.message}\napi: ${api.output()}\nworker: ${worker?.output()}`);
      });
      expect(ready?.status).toBe(200);
      expect(ready?.body.checks).toMatchObject({ temporal: 'ok', worker: 'ok' });
      // Neither process logs the key material it was given.
      for (const output of [api.output(), worker.output()]) expect(output).not.toContain('PRIVATE KEY');
    } finally {
      await stopProcess(worker?.child);
      await stopProcess(api.child);
    }
  }, 180_000);

  it('refuses a client without a certificate, though it trusts the server', async () => {
    const {
      TEMPORAL_TLS_CLIENT_CERT_PATH: _cert,
      TEMPORAL_TLS_CLIENT_KEY_PATH: _key,
      ...withoutCert
    } = engineEnv;
    const options = optionsFrom(withoutCert);
    expect(options.tls?.clientCertPair).toBeUndefined();
    expect(await refusal(describeThrough(options))).toMatch(REFUSED_AFTER_HANDSHAKE);
    expect(await refusal(nativeConnect(options))).toMatch(NATIVE_REFUSED_AFTER_HANDSHAKE);
  });

  it('refuses a client certificate that another CA signed, even one named like the engine', async () => {
    const forged = otherCa.issue('billing-engine', 'client');
    const options = optionsFrom({
      ...engineEnv,
      TEMPORAL_TLS_CLIENT_CERT_PATH: forged.certPath,
      TEMPORAL_TLS_CLIENT_KEY_PATH: forged.keyPath,
    });
    expect(await refusal(describeThrough(options))).toMatch(REFUSED_AFTER_HANDSHAKE);
    expect(await refusal(nativeConnect(options))).toMatch(NATIVE_REFUSED_AFTER_HANDSHAKE);
  });

  it('refuses a server certificate as a client certificate (serverAuth only)', async () => {
    const serverCert = ca.issue('not-a-client', { server: ['billing-engine'] });
    const options = optionsFrom({
      ...engineEnv,
      TEMPORAL_TLS_CLIENT_CERT_PATH: serverCert.certPath,
      TEMPORAL_TLS_CLIENT_KEY_PATH: serverCert.keyPath,
    });
    expect(await refusal(describeThrough(options))).toMatch(REFUSED_AFTER_HANDSHAKE);
  });
});

describe('Temporal with API keys: every call must carry a key the server can verify', () => {
  let server: RunningTemporalServer;
  let jwks: Server;
  let sign: (permissions: string[], forged?: boolean) => Promise<string>;
  let engineEnv: Record<string, string>;
  beforeAll(async () => {
    // A stand-in for Temporal Cloud's key service: the server trusts this JWKS, keys are JWTs it signs.
    const issuer = await generateKeyPair('ES256');
    const forger = await generateKeyPair('ES256');
    const jwk = { ...(await exportJWK(issuer.publicKey)), kid: 'api-keys', alg: 'ES256', use: 'sig' };
    jwks = createServer((_req, res) => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ keys: [jwk] }));
    });
    await new Promise<void>((r) => jwks.listen(0, '127.0.0.1', r));
    sign = (permissions, forged = false) =>
      new SignJWT({ permissions })
        .setProtectedHeader({ alg: 'ES256', kid: 'api-keys' })
        .setSubject('billing-engine')
        .setIssuedAt()
        .setExpirationTime('1h')
        .sign(forged ? forger.privateKey : issuer.privateKey);
    const adminKey = await sign(['temporal-system:admin']);
    const tls = (address: string) => ({
      TEMPORAL_ADDRESS: address,
      TEMPORAL_TLS_SERVER_CA_CERT_PATH: ca.certPath,
      TEMPORAL_TLS_SERVER_NAME: SERVER_NAME,
    });
    server = await startTlsTemporalServer({
      dir: join(dir, 'api-key'),
      ...ca.issue('api-key-server', { server: [SERVER_NAME] }),
      jwksUrl: `http://127.0.0.1:${(jwks.address() as AddressInfo).port}/jwks.json`,
      namespace: NAMESPACE,
      client: (address) => optionsFrom({ ...tls(address), TEMPORAL_API_KEY: adminKey }),
    });
    engineEnv = { ...tls(server.address), TEMPORAL_API_KEY: await sign([`${NAMESPACE}:write`]) };
  }, 180_000);
  afterAll(async () => {
    await server?.stop();
    await new Promise((r) => jwks?.close(r));
  });

  it('sends TEMPORAL_API_KEY on every call of the client and the worker: a workflow runs', async () => {
    const options = optionsFrom(engineEnv);
    expect(options.apiKey).toBe(engineEnv.TEMPORAL_API_KEY);
    expect(await describeThrough(options)).toBe(NAMESPACE);
    expect(await runWorkflowThrough(options, 'api-key')).toEqual({ passes: 1, syncs: 1 });
  });

  it('is refused without a key, with a key signed by anyone else, or with a key for another namespace', async () => {
    const { TEMPORAL_API_KEY: _key, ...withoutKey } = engineEnv;
    expect(await refusal(describeThrough(optionsFrom(withoutKey)))).toMatch(/PERMISSION_DENIED/);
    const forged = await sign([`${NAMESPACE}:admin`], true);
    expect(await refusal(describeThrough(optionsFrom({ ...engineEnv, TEMPORAL_API_KEY: forged })))).toMatch(
      /PERMISSION_DENIED|UNAUTHENTICATED/,
    );
    const elsewhere = await sign(['other:admin']);
    expect(
      await refusal(describeThrough(optionsFrom({ ...engineEnv, TEMPORAL_API_KEY: elsewhere }))),
    ).toMatch(/PERMISSION_DENIED/);
  });
});

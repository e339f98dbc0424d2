/**
 * The real Temporal server (tools/temporal-server.js) with TLS on its frontend, for tests of how the
 * engine connects: in-memory SQLite persistence, the frontend, history and matching services in one
 * process on free loopback ports, a config file written here. The system worker service is left out: it
 * runs Temporal's own background workflows, which no test of a connection needs.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Connection } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time';
import type { TemporalConnectionOptions } from '../../config/temporal-connection';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { freePort } = require('../../tools/free-port') as { freePort: () => Promise<number> };
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { tiedToParent } = require('../../tools/tied-child') as {
  tiedToParent: (command: string, args: string[]) => [string, string[]];
};

export interface TlsServerOptions {
  /** Where the config file goes (a test's temporary folder). */
  dir: string;
  certPath: string;
  keyPath: string;
  /** mTLS: only clients with a certificate one of these CAs signed get in. */
  clientCaPaths?: string[];
  /**
   * Temporal's own JWT authorization: every call needs `authorization: Bearer <JWT>` signed by a key
   * of this JWKS, with `permissions` such as `billing:write` (what a Temporal Cloud API key amounts to).
   */
  jwksUrl?: string;
  /** Registered once the server answers. */
  namespace: string;
  /** How a client that may get in connects, given the server's address. */
  client: (address: string) => TemporalConnectionOptions;
}

export interface RunningTemporalServer {
  address: string;
  stop(): Promise<void>;
}

function required(name: string): string {
  const value = process.env[name];
  if (!value)
    throw new Error(`${name} is not set: run the suite through \`npm test\` or jest's global setup`);
  return value;
}

export async function startTlsTemporalServer(opts: TlsServerOptions): Promise<RunningTemporalServer> {
  const ports = new Set<number>();
  // The OS may hand the same free port out twice in a row.
  while (ports.size < 6) ports.add(await freePort());
  const [frontend, frontendMembership, history, historyMembership, matching, matchingMembership] = [
    ...ports,
  ] as [number, number, number, number, number, number];
  const address = `127.0.0.1:${frontend}`;
  const store = {
    sql: {
      pluginName: 'sqlite',
      databaseName: 'temporal',
      connectAddr: 'localhost',
      connectProtocol: 'tcp',
      connectAttributes: { mode: 'memory', cache: 'private' },
      maxConns: 1,
      maxIdleConns: 1,
      maxConnLifetime: '1h',
    },
  };
  const rpc = (grpcPort: number, membershipPort: number) => ({
    rpc: { grpcPort, membershipPort, bindOnIP: '127.0.0.1' },
  });
  const config = {
    log: { stdout: true, level: 'error' },
    persistence: {
      defaultStore: 'default',
      visibilityStore: 'visibility',
      numHistoryShards: 1,
      datastores: { default: store, visibility: store },
    },
    global: {
      membership: { maxJoinDuration: '30s', broadcastAddress: '127.0.0.1' },
      tls: {
        frontend: {
          server: {
            certFile: opts.certPath,
            keyFile: opts.keyPath,
            ...(opts.clientCaPaths ? { requireClientAuth: true, clientCaFiles: opts.clientCaPaths } : {}),
          },
        },
      },
      ...(opts.jwksUrl
        ? {
            authorization: {
              jwtKeyProvider: { keySourceURIs: [opts.jwksUrl], refreshInterval: '1m' },
              permissionsClaimName: 'permissions',
              authorizer: 'default',
              claimMapper: 'default',
            },
          }
        : {}),
    },
    services: {
      frontend: rpc(frontend, frontendMembership),
      history: rpc(history, historyMembership),
      matching: rpc(matching, matchingMembership),
    },
    clusterMetadata: {
      enableGlobalNamespace: false,
      failoverVersionIncrement: 10,
      masterClusterName: 'active',
      currentClusterName: 'active',
      clusterInformation: {
        active: { enabled: true, initialFailoverVersion: 1, rpcName: 'frontend', rpcAddress: address },
      },
    },
    dcRedirectionPolicy: { policy: 'noop' },
  };
  const configDir = join(opts.dir, 'temporal-config');
  mkdirSync(configDir, { recursive: true });
  // YAML is a superset of JSON.
  writeFileSync(join(configDir, 'test.yaml'), JSON.stringify(config, null, 2));
  const args = ['--root', opts.dir, '--config', 'temporal-config', '--env', 'test'];
  if (!opts.jwksUrl) args.push('--allow-no-auth');
  args.push('start', '--service', 'frontend', '--service', 'history', '--service', 'matching');
  const child: ChildProcess = spawn(...tiedToParent(required('TEMPORAL_SERVER_PATH'), args), {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([exited, new Promise((r) => (timer = setTimeout(r, 10_000)))]);
    clearTimeout(timer);
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };
  try {
    await registerNamespace(opts.client(address), opts.namespace, () => child.exitCode !== null);
  } catch (err) {
    await stop();
    throw new Error(`${(err as Error).message}\nthe server's last output:\n${stderr}`);
  }
  return { address, stop };
}

/** Registers `namespace` as soon as the server answers (`exited`: stop waiting, the server is gone). */
async function registerNamespace(
  options: TemporalConnectionOptions,
  namespace: string,
  exited: () => boolean,
  timeoutMs = 90_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline && !exited()) {
    try {
      const connection = await Connection.connect({ ...options, connectTimeout: 2000 });
      try {
        await connection.workflowService.registerNamespace({
          namespace,
          workflowExecutionRetentionPeriod: msToTs('1 day'),
        });
        return;
      } finally {
        await connection.close();
      }
    } catch (err) {
      lastError = err;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  throw new Error(`Temporal did not let namespace ${namespace} be registered: ${String(lastError)}`);
}

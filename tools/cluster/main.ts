/**
 * `npm run cluster`: the production topology on this machine (tools/cluster/cluster.ts): PostgreSQL,
 * Temporal and Keycloak on it, two APIs behind nginx, two workers and the Stripe emulator. Prints where
 * everything is; Ctrl-C stops everything it started. Data stays in var/cluster for the next start
 * (`--fresh` begins again with empty databases).
 */
import { rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { startCluster, TOPOLOGY } from './cluster';

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const dir = resolve(process.env.CLUSTER_DIR ?? join('var', 'cluster'));
  if (args.includes('--fresh')) rmSync(dir, { recursive: true, force: true });
  const started = Date.now();
  const cluster = await startCluster({
    dir,
    ports: 'fixed',
    log: (line) => console.error(`[cluster] ${line}`),
  });
  let stopping = false;
  const shutdown = () => {
    if (stopping) return;
    stopping = true;
    console.error('[cluster] stopping…');
    void cluster.stop().then(() => process.exit(0));
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
  const { urls } = cluster;
  const admin = join(dir, 'tls', 'admin');
  const services = TOPOLOGY.map((s) => `    ${s.name.padEnd(19)}${s.role}`).join('\n');
  console.log(`
  The production topology is running (ready in ${Math.round((Date.now() - started) / 1000)} s).
    Web app and API    ${urls.api}/   (through nginx; each API: ${urls.apis.join(', ')})
    Access lane        ${urls.accessLane}  (the gateway's checks, which nginx sends there)
    Temporal           ${urls.temporal} (on PostgreSQL, mTLS only); UI ${urls.temporalUi}
                       CLI: temporal … --address ${urls.temporal} --tls-server-name temporal \\
                         --tls-ca-path ${admin}/ca.pem --tls-cert-path ${admin}/temporal-client.pem \\
                         --tls-key-path ${admin}/temporal-client.key  (certificates made at every start)
    Keycloak           ${urls.keycloak}/admin (admin / the password in ${join(dir, 'keycloak-admin-password')}); realm billing
    Stripe             emulator at ${urls.stripe}
    Database           ${urls.databaseUrl}  (the engine's role; every start makes new passwords)
    Logs               ${join(dir, 'logs')}/<service>.log
  The engine runs in production mode: sign in at the web app with a user of the billing realm (create one
  in Keycloak's console; add them to the group billing-operators › admins for the operator's console).
  Services:
${services}
  Ctrl-C stops everything.
`);
}

main().catch((err: unknown) => {
  console.error((err as Error).message);
  process.exit(1);
});

/**
 * Mints a token for the local development key:
 *   npm run token -- --email a@example.com --role admin|billing-gateway [--sub id] [--name "A B"] [--ttl 3600]
 */
import { parseArgs } from 'node:util';
import { loadConfig } from '../config/env';
import { GATEWAY_ROLE, isRole } from '../domain/roles';
import { loadOrCreateLocalKey, signToken } from '../services/auth/local-key';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      email: { type: 'string' },
      role: { type: 'string', default: 'viewer' },
      sub: { type: 'string' },
      name: { type: 'string' },
      ttl: { type: 'string', default: '86400' },
    },
  });
  const config = loadConfig();
  if (config.OIDC_ISSUER)
    throw new Error('OIDC_ISSUER is set: get tokens from your identity provider instead');
  if (!values.email) throw new Error('--email is required');
  if (!isRole(values.role) && values.role !== GATEWAY_ROLE)
    throw new Error('--role must be viewer, editor, admin or billing-gateway');
  const key = await loadOrCreateLocalKey(config.VAR_DIR);
  const token = await signToken(
    key,
    {
      sub: values.sub ?? `local-${values.email.toLowerCase()}`,
      email: values.email,
      name: values.name,
      roles: [values.role],
      clientId: config.OIDC_CLIENT_ID,
      ttlSeconds: Number(values.ttl),
    },
    undefined,
    config.OIDC_AUDIENCE,
  );
  process.stdout.write(`${token}\n`);
}

main().catch((err: unknown) => {
  console.error((err as Error).message);
  process.exit(1);
});

import { loadConfigFor, TEMPORAL_TLS_NAMES, type Config, type ConfigName, type Requirement } from './env';

interface CommandSpec<K extends ConfigName = ConfigName> {
  /** Every variable the command reads; it gets these (and NODE_ENV) and nothing else. */
  reads: readonly K[];
  /** What it cannot run without. */
  requires?: readonly Requirement<K>[];
}

function command<K extends ConfigName>(spec: CommandSpec<K>): CommandSpec<K> {
  return spec;
}

const STRIPE = {
  anyOf: ['STRIPE_SECRET_KEY', 'STRIPE_API_BASE'],
  note: 'STRIPE_API_BASE alone for an emulator',
} as const;

/**
 * The operator commands and the configuration each uses. Each is checked for that alone: `npm run
 * stripe:sync` against a real account needs a Stripe key and the database, not the API's audience, public
 * address or metrics token (loadConfig keeps those checks for the API and the worker).
 */
export const COMMANDS = {
  migrate: command({ reads: ['DATABASE_URL'] }),
  'stripe:sync': command({
    reads: ['DATABASE_URL', 'STRIPE_SECRET_KEY', 'STRIPE_API_BASE'],
    requires: [STRIPE],
  }),
  'stripe:backfill-charges': command({
    reads: ['DATABASE_URL', 'STRIPE_SECRET_KEY', 'STRIPE_API_BASE'],
    requires: [STRIPE],
  }),
  'billing:reverify': command({
    reads: ['DATABASE_URL', 'STRIPE_SECRET_KEY', 'STRIPE_API_BASE'],
    requires: [STRIPE],
  }),
  'seed:book': command({
    reads: [
      'DATABASE_URL',
      'STRIPE_SECRET_KEY',
      'STRIPE_API_BASE',
      'TEMPORAL_ADDRESS',
      'TEMPORAL_NAMESPACE',
      'TEMPORAL_TASK_QUEUE',
      ...TEMPORAL_TLS_NAMES,
    ],
    requires: [STRIPE],
  }),
  'byok:rotate': command({
    reads: ['DATABASE_URL', 'BYOK_ENCRYPTION_KEY', 'BYOK_ENCRYPTION_KEY_PREVIOUS', 'LOG_LEVEL', 'VAR_DIR'],
    requires: [
      { anyOf: ['BYOK_ENCRYPTION_KEY'], note: 'the new key' },
      { anyOf: ['BYOK_ENCRYPTION_KEY_PREVIOUS'], note: 'the key in use until now' },
    ],
  }),
  'keycloak:setup': command({
    reads: ['KEYCLOAK_URL', 'KEYCLOAK_REALM', 'KEYCLOAK_CLIENT_ID', 'KEYCLOAK_CLIENT_SECRET'],
    requires: [
      { anyOf: ['KEYCLOAK_URL'] },
      { anyOf: ['KEYCLOAK_REALM'] },
      { anyOf: ['KEYCLOAK_CLIENT_ID'] },
      { anyOf: ['KEYCLOAK_CLIENT_SECRET'] },
    ],
  }),
  'temporal:namespace': command({
    reads: ['TEMPORAL_ADDRESS', 'TEMPORAL_NAMESPACE', ...TEMPORAL_TLS_NAMES],
  }),
  // verify reports the API's and worker's production requirements as checklist items instead of refusing.
  verify: command({
    reads: [
      'DATABASE_URL',
      'STRIPE_SECRET_KEY',
      'STRIPE_API_BASE',
      'STRIPE_WEBHOOK_SECRET',
      'PUBLIC_BASE_URL',
      'KEYCLOAK_URL',
      'KEYCLOAK_REALM',
      'KEYCLOAK_CLIENT_ID',
      'KEYCLOAK_CLIENT_SECRET',
      'LAGO_API_URL',
      'LAGO_API_KEY',
    ],
  }),
};

export type Command = keyof typeof COMMANDS;

type ReadBy<C extends Command> = (typeof COMMANDS)[C] extends CommandSpec<infer K> ? K : never;

/** The configuration `npm run <command>` uses, checked for that alone; throws ConfigError naming each problem. */
export function commandConfig<C extends Command>(
  name: C,
  source: NodeJS.ProcessEnv = process.env,
): Pick<Config, ReadBy<C> | 'NODE_ENV'> {
  const spec = COMMANDS[name] as CommandSpec<ReadBy<C>>;
  return loadConfigFor(spec.reads, { source, requires: spec.requires ?? [], what: `npm run ${name}` });
}

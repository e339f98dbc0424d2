/**
 * `npm run temporal:namespace`: registers the engine's namespace (TEMPORAL_NAMESPACE) and the search
 * attributes its workflows set, on a Temporal server of one's own (the production topology's; Temporal
 * Cloud namespaces are made in its console). Safe to run at every deployment: what exists is left alone,
 * and an attribute registered with another type is an error to fix by hand, never replaced.
 */
import { Connection } from '@temporalio/client';
import { SearchAttributeType } from '@temporalio/common';
import { msToTs } from '@temporalio/common/lib/time';
import { temporal } from '@temporalio/proto';
import { commandConfig } from '../config/commands';
import { ConfigError } from '../config/env';
import { temporalConnectionOptions, type TemporalConnectionOptions } from '../config/temporal-connection';
import { ALL_SEARCH_ATTRIBUTES } from '../workflows/search-attributes';

type AttributeKey = (typeof ALL_SEARCH_ATTRIBUTES)[number];
const { IndexedValueType } = temporal.api.enums.v1;
const INDEXED: Partial<Record<string, temporal.api.enums.v1.IndexedValueType>> = {
  [SearchAttributeType.KEYWORD]: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
  [SearchAttributeType.DATETIME]: IndexedValueType.INDEXED_VALUE_TYPE_DATETIME,
};

export interface NamespaceSetup {
  namespace: string;
  /** How long Temporal keeps a closed run's history (the Temporal UI shows runs that long). */
  retentionDays: number;
  attributes?: readonly AttributeKey[];
  /** How long to wait for a server that is still starting. */
  timeoutMs?: number;
  log?: (line: string) => void;
}

/** Registers what is missing; resolves to the names it added (none when everything was there). */
export async function ensureNamespace(
  options: TemporalConnectionOptions,
  setup: NamespaceSetup,
): Promise<string[]> {
  const { namespace, log = () => {} } = setup;
  const attributes = setup.attributes ?? ALL_SEARCH_ATTRIBUTES;
  const deadline = Date.now() + (setup.timeoutMs ?? 90_000);
  // A server still starting refuses connections, and a namespace just registered is unknown to the
  // operator service until its namespace cache refreshes (a few seconds): both are waited out.
  for (let attempt = 1; ; attempt++) {
    try {
      const connection = await Connection.connect({ ...options, connectTimeout: 2000 });
      try {
        return await registerMissing(connection, namespace, setup.retentionDays, attributes, log);
      } finally {
        await connection.close();
      }
    } catch (err) {
      if (err instanceof ConfigError || Date.now() > deadline) throw err;
      if (attempt % 20 === 0) log(`still waiting for Temporal: ${(err as Error).message}`);
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

async function registerMissing(
  connection: Connection,
  namespace: string,
  retentionDays: number,
  attributes: readonly AttributeKey[],
  log: (line: string) => void,
): Promise<string[]> {
  const added: string[] = [];
  const exists = await connection.workflowService.describeNamespace({ namespace }).then(
    () => true,
    (err: { code?: number }) => {
      // gRPC NOT_FOUND
      if (err.code === 5) return false;
      throw err;
    },
  );
  if (!exists) {
    await connection.workflowService.registerNamespace({
      namespace,
      workflowExecutionRetentionPeriod: msToTs(`${retentionDays} days`),
    });
    log(`namespace ${namespace} registered (retention ${retentionDays} days)`);
    added.push(namespace);
  }
  const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace });
  const missing: Record<string, temporal.api.enums.v1.IndexedValueType> = {};
  for (const key of attributes) {
    const type = INDEXED[key.type];
    if (type === undefined)
      throw new ConfigError(`no Temporal type for the search attribute type ${key.type}`);
    const have = customAttributes?.[key.name];
    if (have === undefined) missing[key.name] = type;
    else if (have !== type)
      throw new ConfigError(
        `search attribute ${key.name} is registered as ${IndexedValueType[have]}, the engine needs ${IndexedValueType[type]}`,
      );
  }
  if (Object.keys(missing).length) {
    await connection.operatorService.addSearchAttributes({ namespace, searchAttributes: missing });
    log(`search attributes added: ${Object.keys(missing).join(', ')}`);
    added.push(...Object.keys(missing));
  }
  return added;
}

async function main(): Promise<void> {
  const config = commandConfig('temporal:namespace');
  const days = Number(process.env.TEMPORAL_RETENTION_DAYS ?? 30);
  if (!Number.isInteger(days) || days < 1 || days > 3650)
    throw new ConfigError('TEMPORAL_RETENTION_DAYS must be a whole number of days from 1 to 3650');
  const added = await ensureNamespace(temporalConnectionOptions(config), {
    namespace: config.TEMPORAL_NAMESPACE,
    retentionDays: days,
    log: (line) => console.log(line),
  });
  if (!added.length)
    console.log(`namespace ${config.TEMPORAL_NAMESPACE} and its search attributes are in place`);
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error((err as Error).message);
    process.exit(1);
  });
}

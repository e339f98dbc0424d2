/**
 * Re-encrypts every stored provider key under a new master key:
 *   BYOK_ENCRYPTION_KEY=<new> BYOK_ENCRYPTION_KEY_PREVIOUS=<old> npm run byok:rotate [-- --batch-size 200]
 * Run the API with both variables set while this runs, then drop the previous key. Safe to stop and run
 * again: keys already under the new key are skipped.
 */
import { parseArgs } from 'node:util';
import { loadByokKey } from '../config/byok-key';
import { commandConfig } from '../config/commands';
import { ConfigError } from '../config/env';
import { createLogger } from '../config/logger';
import { openDatabase } from '../db/orm';
import {
  rotateProviderKeys,
  rotateWebhookSecrets,
  type RotationProgress,
} from '../services/byok/rotate-keys';

function progressLine(p: RotationProgress): string {
  const width = 30;
  const filled = p.total === 0 ? width : Math.round((p.done / p.total) * width);
  const bar = `${'#'.repeat(filled)}${'-'.repeat(width - filled)}`;
  return (
    `[${bar}] ${p.done}/${p.total}  rotated ${p.rotated}, already done ${p.alreadyCurrent}, ` +
    `changed meanwhile ${p.changedMeanwhile}, failed ${p.failed}`
  );
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { 'batch-size': { type: 'string', default: '100' } } });
  const batchSize = Number(values['batch-size']);
  if (!Number.isInteger(batchSize) || batchSize < 1)
    throw new Error('--batch-size must be a positive integer');
  // Both keys (the new one and the one in use until now) and the database.
  const config = commandConfig('byok:rotate');
  const logger = createLogger(config.LOG_LEVEL, 'byok-rotate');
  const keyring = loadByokKey(config, logger);
  if (!keyring.previous)
    throw new ConfigError('BYOK_ENCRYPTION_KEY_PREVIOUS is the same key as BYOK_ENCRYPTION_KEY');

  const orm = await openDatabase(config.DATABASE_URL, { migrate: false });
  const tty = process.stderr.isTTY;
  try {
    const result = await rotateProviderKeys({
      orm,
      current: keyring.current,
      previous: keyring.previous,
      batchSize,
      onProgress: (p) => {
        process.stderr.write(tty ? `\r${progressLine(p)}` : `${progressLine(p)}\n`);
      },
    });
    if (tty) process.stderr.write('\n');
    console.log(progressLine(result));
    for (const f of result.failures) console.error(`  ${f.id} (${f.provider}): ${f.reason}`);
    // Webhook endpoints' signing secrets are under the same master key: a handful of rows, done in one go.
    const hooks = await rotateWebhookSecrets({ orm, current: keyring.current, previous: keyring.previous });
    console.log(`webhook endpoint secrets re-encrypted: ${hooks.rotated}`);
    for (const f of hooks.failures) console.error(`  ${f.id} (webhook endpoint): ${f.reason}`);
    if (result.failed > 0 || hooks.failures.length > 0) {
      console.error(
        `${result.failed + hooks.failures.length} secret(s) are under neither key and were left as they are; keep the previous key until they are resolved`,
      );
      process.exitCode = 1;
    } else {
      console.log('Every provider key is under the new key; BYOK_ENCRYPTION_KEY_PREVIOUS can be removed.');
    }
  } finally {
    await orm.close();
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof ConfigError ? err.message : err);
  process.exit(1);
});

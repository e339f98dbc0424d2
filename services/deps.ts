import type { MikroORM } from '@mikro-orm/core';
import type { Client } from '@temporalio/client';
import type { Logger } from 'pino';
import type { Config } from '../config/env';
import type { Clock } from '../domain/clock';

/** What the engine's services share: settings, the database, Temporal and the logger. */
export interface CoreDeps {
  config: Config;
  orm: MikroORM;
  temporal: Client;
  logger: Logger;
  /** Where use cases read business time; absent: the system's (domain/clock.ts). */
  clock?: Clock | null;
}

import type { MikroORM } from '@mikro-orm/core';
import type { Logger } from 'pino';

/** What activities may touch; tests pass real instances pointed at local servers. */
export interface ActivityDeps {
  orm: MikroORM;
  logger: Logger;
}

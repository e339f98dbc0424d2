import type { EntityManager } from '@mikro-orm/core';
import { sqlFor } from './raw-sql';

export interface LeaseOptions {
  /** How long the lease holds if its holder dies without giving it back. */
  ttlMs: number;
  /** How long to wait for another holder to give it back before answering false. */
  waitMs: number;
  /** Pause between tries while another holder has it. */
  everyMs?: number;
}

/**
 * Takes the named lease for `holder`: free, expired, or already its own (a retry of the same work takes
 * it back at once). One statement on both dialects, so two workers asking at the same moment cannot
 * both get it. Waits up to `waitMs` for another holder; says whether it got it.
 */
export async function acquireLease(
  em: EntityManager,
  name: string,
  holder: string,
  opts: LeaseOptions,
): Promise<boolean> {
  const sql = sqlFor(em);
  const deadline = Date.now() + opts.waitMs;
  for (;;) {
    const now = new Date();
    const got = await sql.run(
      `insert into leases (name, holder, expires_at) values (?, ?, ?)
       on conflict (name) do update set holder = excluded.holder, expires_at = excluded.expires_at
       where leases.expires_at < ? or leases.holder = excluded.holder
       returning name`,
      [name, holder, sql.date(new Date(now.getTime() + opts.ttlMs)), sql.date(now)],
    );
    if (got.length > 0) return true;
    if (Date.now() >= deadline) return false;
    await new Promise((r) => setTimeout(r, opts.everyMs ?? 50));
  }
}

/** Gives the lease back, if `holder` still has it (an expired lease may have gone to another). */
export async function releaseLease(em: EntityManager, name: string, holder: string): Promise<void> {
  await sqlFor(em).run('delete from leases where name = ? and holder = ?', [name, holder]);
}

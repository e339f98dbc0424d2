import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/* eslint-disable @typescript-eslint/no-require-imports */
const { startPostgres, ensurePostgres } = require('../../tools/postgres') as {
  startPostgres(o: { dir: string; superuserPassword?: string }): Promise<{
    url: string;
    port: number;
    restart(o?: { crash?: boolean }): void;
    stop(o?: { crash?: boolean }): void;
  }>;
  ensurePostgres(): string;
};
/* eslint-enable @typescript-eslint/no-require-imports */

jest.setTimeout(120_000);

/**
 * `npm run cluster`'s PostgreSQL (tools/postgres.js with a superuser password): every connection proves a
 * password with SCRAM, over TCP and over the socket, none is trusted; a data folder made before, with
 * trust, is switched over at its next start. The suite's own throwaway PostgreSQL stays as it was.
 */
describe('PostgreSQL with a superuser password', () => {
  let dir: string;
  const psql = (args: string[], password?: string) =>
    execFileSync(join(ensurePostgres(), 'psql'), ['-w', '-Atc', 'SELECT current_user', ...args], {
      encoding: 'utf8',
      env: {
        PATH: process.env.PATH,
        PGPASSFILE: '/nonexistent/.pgpass',
        ...(password ? { PGPASSWORD: password } : {}),
      },
      stdio: 'pipe',
    }).trim();

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'pg-auth-'));
    // PostgreSQL runs as its own user when the suite runs as root, and must reach its folder in here.
    chmodSync(dir, 0o755);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('refuses a connection without the password, over TCP and over the socket, after a switch from trust', async () => {
    const data = join(dir, 'pg');
    // Made the old way first, as every cluster before this was: anyone on the machine got in.
    const old = await startPostgres({ dir: data });
    expect(psql(['-h', '127.0.0.1', '-p', String(old.port), '-U', 'postgres', 'postgres'])).toBe('postgres');
    old.stop();

    const password = 'a-superuser-password-of-this-run';
    const pg = await startPostgres({ dir: data, superuserPassword: password });
    try {
      const tcp = ['-h', '127.0.0.1', '-p', String(pg.port), '-U', 'postgres', 'postgres'];
      const socket = ['-h', data, '-p', String(pg.port), '-U', 'postgres', 'postgres'];
      for (const where of [tcp, socket]) {
        expect(() => psql(where)).toThrow(/no password supplied/);
        expect(() => psql(where, 'a-wrong-password')).toThrow(/password authentication failed/);
        expect(psql(where, password)).toBe('postgres');
      }
      // Its URL carries the password, and the server keeps a SCRAM verifier, never the password.
      expect(psql([pg.url])).toBe('postgres');
      expect(new URL(pg.url).password).toBe(password);
      expect(
        psql([
          pg.url,
          '-c',
          "SELECT rolpassword LIKE 'SCRAM-SHA-256$%' FROM pg_authid WHERE rolname = 'postgres'",
        ]),
      ).toMatch(/t$/);
      // The file PostgreSQL reads its rules from trusts nobody.
      const hba = readFileSync(join(data, 'data', 'pg_hba.conf'), 'utf8');
      expect(hba).not.toMatch(/^\s*(local|host)\S*\s.*\btrust\b/m);

      // A crash and a restart keep it so.
      pg.restart({ crash: true });
      expect(() => psql(tcp)).toThrow(/no password supplied/);
      expect(psql(tcp, password)).toBe('postgres');
    } finally {
      pg.stop({ crash: true });
    }

    // The next run brings its own password: the last one no longer opens it.
    const next = await startPostgres({ dir: data, superuserPassword: 'the-next-run-s-password' });
    try {
      const tcp = ['-h', '127.0.0.1', '-p', String(next.port), '-U', 'postgres', 'postgres'];
      expect(() => psql(tcp, password)).toThrow(/password authentication failed/);
      expect(psql(tcp, 'the-next-run-s-password')).toBe('postgres');
    } finally {
      next.stop({ crash: true });
    }
  });
});

import { spawn } from 'node:child_process';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Spool, SpoolLocked, type SpooledEvent } from '../src/spool';

const event = (id: string, quantity = 1): SpooledEvent => ({
  id,
  customer: { email: 'ada@example.com' },
  type: 'inference',
  quantity,
  timestamp: '2026-11-26T10:00:00.000Z',
});

describe("the gateway client's spool", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'gw-spool-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps what is not acknowledged across a reopen, in order, each id once', async () => {
    const spool = await Spool.open(dir);
    await Promise.all([spool.append([event('a'), event('b')]), spool.append([event('c'), event('a', 9)])]);
    await spool.ack(['b', 'unknown']);
    expect(spool.pending().map((e) => e.id)).toEqual(['a', 'c']);
    await spool.close();
    const again = await Spool.open(dir);
    expect(again.pending()).toEqual([event('a'), event('c')]);
    await again.close();
  });

  it('drops a line torn by a crash and counts one that cannot be read', async () => {
    const spool = await Spool.open(dir);
    await spool.append([event('a'), event('b')]);
    await spool.close();
    appendFileSync(join(dir, 'spool.jsonl'), 'not json\n{"e":{"id":"c","customer":{"ema');
    const again = await Spool.open(dir);
    expect(again.pending().map((e) => e.id)).toEqual(['a', 'b']);
    expect(again.unreadableLines).toBe(1);
    // The torn line is gone from the file: the next append is not glued to it.
    await again.append([event('d')]);
    await again.close();
    const third = await Spool.open(dir);
    expect(third.pending().map((e) => e.id)).toEqual(['a', 'b', 'd']);
    expect(third.unreadableLines).toBe(0);
    await third.close();
  });

  it('is held by one client at a time; a dead process’s lock is taken over', async () => {
    const spool = await Spool.open(dir);
    await expect(Spool.open(dir)).rejects.toBeInstanceOf(SpoolLocked);
    await spool.close();
    const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)']);
    try {
      writeFileSync(join(dir, 'spool.lock'), String(child.pid));
      await expect(Spool.open(dir)).rejects.toBeInstanceOf(SpoolLocked);
    } finally {
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
    }
    // The holder is gone now.
    const again = await Spool.open(dir);
    await again.close();
  });

  it('compacts the file once acknowledged events outnumber pending ones', async () => {
    const spool = await Spool.open(dir);
    const ids = Array.from({ length: 12_000 }, (_, i) => `e${i}`);
    await spool.append(ids.map((id) => event(id)));
    await spool.ack(ids.slice(0, 11_990));
    await spool.append([event('last')]);
    const lines = readFileSync(join(dir, 'spool.jsonl'), 'utf8').trim().split('\n');
    expect(lines.length).toBeLessThanOrEqual(12);
    expect(spool.pending().length).toBe(11);
    await spool.close();
    const again = await Spool.open(dir);
    expect(again.pending().map((e) => e.id)).toEqual([...ids.slice(11_990), 'last']);
    await again.close();
  });

  it('has every event whose append resolved after the process is killed mid-write', async () => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', join(__dirname, 'fixtures', 'spool-writer.ts'), dir],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const confirmed: string[] = [];
    let buffered = '';
    await new Promise<void>((resolve, reject) => {
      child.on('error', reject);
      child.stdout.on('data', (chunk: Buffer) => {
        buffered += chunk.toString();
        const lines = buffered.split('\n');
        buffered = lines.pop() ?? '';
        confirmed.push(...lines);
        if (confirmed.length >= 400) {
          child.kill('SIGKILL');
          resolve();
        }
      });
      child.on('exit', () => resolve());
    });
    await new Promise((r) => child.once('close', r));
    expect(confirmed.length).toBeGreaterThanOrEqual(400);
    const spool = await Spool.open(dir);
    const pending = new Set(spool.pending().map((e) => e.id));
    expect(spool.pending().length).toBe(pending.size);
    const acked = (id: string) => Number(id.slice(2)) % 50 === 0;
    // Every confirmed event is there, but those the writer acknowledged itself.
    expect(confirmed.filter((id) => !acked(id) && !pending.has(id))).toEqual([]);
    await spool.close();
  }, 30_000);
});

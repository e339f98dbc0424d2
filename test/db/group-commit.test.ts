import { GroupCommit } from '../../db/group-commit';

interface Member {
  name: string;
  keys?: string[];
  weight?: number;
  fails?: boolean;
}

/** A group commit whose "transaction" records each group it was given and answers every member by name. */
function recorder(opts: { concurrency?: number; maxWeight?: number } = {}) {
  const groups: string[][] = [];
  const releases: (() => void)[] = [];
  let hold = false;
  const gc = new GroupCommit<Member, string>({
    async run(members) {
      groups.push(members.map((m) => m.name));
      if (hold) await new Promise<void>((r) => releases.push(r));
      if (members.some((m) => m.fails)) throw new Error(`bad member in ${members.map((m) => m.name)}`);
      return members.map((m) => `done ${m.name}`);
    },
    keys: (m) => m.keys ?? [],
    weight: (m) => m.weight ?? 1,
    ...opts,
  });
  return {
    gc,
    groups,
    /** Keeps the next groups open until `open()`, as a commit waiting on its fsync would be. */
    holdCommits() {
      hold = true;
    },
    open() {
      hold = false;
      for (const release of releases.splice(0)) release();
    },
  };
}

describe('group commit', () => {
  it('puts members submitted together into one transaction, in submission order, and answers each', async () => {
    const { gc, groups } = recorder();
    const answers = await Promise.all(['a', 'b', 'c', 'd'].map((name) => gc.submit({ name })));
    expect(groups).toEqual([['a', 'b', 'c', 'd']]);
    expect(answers).toEqual(['done a', 'done b', 'done c', 'done d']);
    expect(gc.stats).toMatchObject({ groups: 1, members: 4, splitGroups: 0 });
  });

  it('gathers what arrives while a group commits into the next group, and settles the first group first', async () => {
    const r = recorder();
    r.holdCommits();
    const settled: string[] = [];
    const first = ['a', 'b'].map((name) => r.gc.submit({ name }).then((v) => settled.push(v)));
    await new Promise((res) => setImmediate(res));
    expect(r.groups).toEqual([['a', 'b']]);
    const second = ['c', 'd', 'e'].map((name) => r.gc.submit({ name }).then((v) => settled.push(v)));
    await new Promise((res) => setImmediate(res));
    // One group at a time: c, d and e wait for a and b's commit.
    expect(r.groups).toEqual([['a', 'b']]);
    expect(settled).toEqual([]);
    r.open();
    await Promise.all([...first, ...second]);
    expect(r.groups).toEqual([
      ['a', 'b'],
      ['c', 'd', 'e'],
    ]);
    expect(settled).toEqual(['done a', 'done b', 'done c', 'done d', 'done e']);
  });

  it('keeps two members writing the same key in different groups, and lets no later member overtake', async () => {
    const { gc, groups } = recorder();
    await Promise.all([
      gc.submit({ name: 'a', keys: ['k1'] }),
      gc.submit({ name: 'b', keys: ['k2'] }),
      gc.submit({ name: 'c', keys: ['k1', 'k3'] }),
      gc.submit({ name: 'd', keys: ['k3'] }),
      gc.submit({ name: 'e', keys: ['k4'] }),
    ]);
    // c shares k1 with a, so it waits; d shares k3 with c, so it waits behind c, never before it.
    expect(groups).toEqual([['a', 'b', 'e'], ['c'], ['d']]);
  });

  it("fails only the member whose write fails: the group's others are committed alone", async () => {
    const { gc, groups } = recorder();
    const outcomes = await Promise.allSettled([
      gc.submit({ name: 'a' }),
      gc.submit({ name: 'bad', fails: true }),
      gc.submit({ name: 'c' }),
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((outcomes[1] as PromiseRejectedResult).reason.message).toBe('bad member in bad');
    expect(groups).toEqual([['a', 'bad', 'c'], ['a'], ['bad'], ['c']]);
    expect(gc.stats).toMatchObject({ groups: 4, members: 3, splitGroups: 1 });
  });

  it('bounds a group by weight, yet takes a member heavier than the bound alone', async () => {
    const { gc, groups } = recorder({ maxWeight: 10 });
    await Promise.all([
      gc.submit({ name: 'big', weight: 25 }),
      gc.submit({ name: 'a', weight: 4 }),
      gc.submit({ name: 'b', weight: 6 }),
      gc.submit({ name: 'c', weight: 1 }),
    ]);
    expect(groups).toEqual([['big'], ['a', 'b'], ['c']]);
  });

  it('holds a member back while a group committing now has its key, even when another group could start', async () => {
    const r = recorder({ concurrency: 2 });
    r.holdCommits();
    const first = r.gc.submit({ name: 'a', keys: ['k1'] });
    await new Promise((res) => setImmediate(res));
    const later = [r.gc.submit({ name: 'b', keys: ['k1'] }), r.gc.submit({ name: 'c', keys: ['k2'] })];
    await new Promise((res) => setImmediate(res));
    // c starts beside a; b waits for a's commit.
    expect(r.groups).toEqual([['a'], ['c']]);
    r.open();
    await Promise.all([first, ...later]);
    expect(r.groups).toEqual([['a'], ['c'], ['b']]);
  });

  it('runs several groups at once when allowed', async () => {
    const r = recorder({ concurrency: 2, maxWeight: 2 });
    r.holdCommits();
    const all = ['a', 'b', 'c', 'd', 'e'].map((name) => r.gc.submit({ name }));
    await new Promise((res) => setImmediate(res));
    await new Promise((res) => setImmediate(res));
    expect(r.groups).toEqual([
      ['a', 'b'],
      ['c', 'd'],
    ]);
    r.open();
    await Promise.all(all);
    expect(r.groups.flat()).toEqual(['a', 'b', 'c', 'd', 'e']);
  });
});

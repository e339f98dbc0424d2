/**
 * Group commit: writes submitted while the previous transaction is being committed (or in the same turn of
 * the event loop) share the next one, so N concurrent callers pay for one transaction and one fsync
 * instead of N. A caller's promise settles only once the transaction holding its write has committed, so
 * an answer sent after it is an answer about durable data.
 *
 * The members of a group are applied in the order they were submitted, as if one after another: `run`
 * gets them in that order and answers each as a serial run would have. Two members that touch the same
 * key (`keys`) never share a group, nor commit at once in two: the later one waits for the earlier one's
 * group to commit, so it sees its outcome exactly as it would have in its own transaction after it. When a
 * group's transaction fails, each of its members is tried again alone, so one member's bad data fails that
 * member only.
 */
export interface GroupCommitOptions<I, O> {
  /** Applies the members in order in one transaction and commits it; one answer per member, in order. */
  run(members: I[]): Promise<O[]>;
  /** Keys a member writes; members sharing one are put in different groups. */
  keys?(member: I): Iterable<string>;
  /** A member's size (e.g. rows); a group stops growing at `maxWeight`, but always takes one member. */
  weight?(member: I): number;
  maxWeight?: number;
  /** Groups committing at once (1: one after the other, as SQLite's single writer needs). */
  concurrency?: number;
}

interface Pending<I, O> {
  member: I;
  resolve(value: O): void;
  reject(err: unknown): void;
}

export interface GroupCommitStats {
  /** Transactions committed or tried, counting each member retried alone as one. */
  groups: number;
  /** Members submitted. */
  members: number;
  /** Groups whose transaction failed, after which their members were tried one by one. */
  splitGroups: number;
  /** Time spent in transactions, from start to commit, summed over groups. */
  commitMs: number;
}

export class GroupCommit<I, O> {
  private pending: Pending<I, O>[] = [];
  /** Keys of the groups committing now: a member holding one waits for that group's outcome. */
  private readonly busy = new Set<string>();
  private inFlight = 0;
  private scheduled = false;
  readonly stats: GroupCommitStats = { groups: 0, members: 0, splitGroups: 0, commitMs: 0 };

  constructor(private readonly opts: GroupCommitOptions<I, O>) {}

  /** Resolves with the member's answer once its transaction has committed. */
  submit(member: I): Promise<O> {
    this.stats.members++;
    return new Promise<O>((resolve, reject) => {
      this.pending.push({ member, resolve, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled || this.pending.length === 0) return;
    if (this.inFlight >= (this.opts.concurrency ?? 1)) return;
    this.scheduled = true;
    // After the current turn: every request whose bytes arrived with this one reaches submit() first.
    setImmediate(() => {
      this.scheduled = false;
      const { group, keys } = this.takeGroup();
      if (group.length === 0) return;
      this.inFlight++;
      for (const k of keys) this.busy.add(k);
      void this.commit(group).finally(() => {
        for (const k of keys) this.busy.delete(k);
        this.inFlight--;
        this.schedule();
      });
      this.schedule();
    });
  }

  /**
   * The next members in submission order, skipping (for a later group) any that shares a key with an
   * earlier member or with a group committing now.
   */
  private takeGroup(): { group: Pending<I, O>[]; keys: string[] } {
    const { keys, weight, maxWeight = Number.POSITIVE_INFINITY } = this.opts;
    const taken: Pending<I, O>[] = [];
    const takenKeys: string[] = [];
    const left: Pending<I, O>[] = [];
    const held = new Set<string>();
    let total = 0;
    for (const p of this.pending) {
      const w = weight?.(p.member) ?? 1;
      const full = taken.length > 0 && total + w > maxWeight;
      const mine = keys ? [...keys(p.member)] : [];
      if (full || mine.some((k) => held.has(k) || this.busy.has(k))) {
        left.push(p);
        // What a deferred member holds stays held, so a later member never overtakes it.
        for (const k of mine) held.add(k);
        continue;
      }
      for (const k of mine) held.add(k);
      takenKeys.push(...mine);
      taken.push(p);
      total += w;
    }
    this.pending = left;
    return { group: taken, keys: takenKeys };
  }

  private async commit(group: Pending<I, O>[]): Promise<void> {
    this.stats.groups++;
    const started = performance.now();
    let answers: O[];
    try {
      answers = await this.opts.run(group.map((p) => p.member));
      this.stats.commitMs += performance.now() - started;
      if (answers.length !== group.length)
        throw new Error(`group commit: ${answers.length} answers for ${group.length} members`);
    } catch (err) {
      if (group.length === 1) {
        group[0]?.reject(err);
        return;
      }
      // Nothing of the group was committed: try each member alone, so only a member whose own write
      // fails gets an error.
      this.stats.splitGroups++;
      for (const p of group) await this.commit([p]);
      return;
    }
    group.forEach((p, i) => p.resolve(answers[i] as O));
  }
}

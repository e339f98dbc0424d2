import fc from 'fast-check';
import { overspendBound, type BoundInputs } from '../src/bound';
import { CustomerView } from '../src/customer-view';
import { apiCallsClaims, budgetClaims } from './claims';

/**
 * G gateways, each deciding through the client's own CustomerView, against a model of the engine: a
 * daily cap of L units (or a subject's budget of L units inside an account that allows every call), events committed some time before the engine answers for them (within B), a
 * snapshot fetch that takes up to F and reads counters up to C stale. Everything happens at adversarial
 * but legal times drawn from a seed. What the gateways let through in all never passes L by more than
 * the published bound, and one gateway alone never passes it at all.
 */

interface Sim {
  /** What blocks: the account's daily cap, or one subject's budget inside an account that allows all. */
  limitBy: 'cap' | 'budget';
  gateways: number;
  ratePerGateway: number[];
  qMax: number;
  cap: number;
  S: number;
  F: number;
  B: number;
  C: number;
  seed: number;
}

function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Ev =
  | { at: number; kind: 'call'; g: number }
  | { at: number; kind: 'commit'; units: number }
  | { at: number; kind: 'ack'; g: number; id: string }
  | { at: number; kind: 'fetched'; g: number; startedAt: number };

/** Runs one scenario; answers the units let through and the cap. */
function simulate(p: Sim): { admitted: number; stored: number } {
  const rnd = prng(p.seed);
  const ms = (s: number) => s * 1000;
  const queue: Ev[] = [];
  const push = (e: Ev) => {
    let lo = 0;
    let hi = queue.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((queue[mid] as Ev).at <= e.at) lo = mid + 1;
      else hi = mid;
    }
    queue.splice(lo, 0, e);
  };
  // The engine: what it stored, and when each commit happened (for a stale read of the counter).
  let stored = 0;
  const commits: { at: number; total: number }[] = [{ at: -Infinity, total: 0 }];
  const storedAsOf = (t: number) => {
    let total = 0;
    for (const c of commits) if (c.at <= t) total = c.total;
    return total;
  };
  const views = Array.from(
    { length: p.gateways },
    () => new CustomerView({ refreshMs: ms(p.S), graceMs: ms(p.F), stalenessMs: ms(p.C) }),
  );
  const fetching = new Array<boolean>(p.gateways).fill(false);
  const waiting: number[][] = views.map(() => []);
  let admitted = 0;
  let seq = 0;
  const horizon = ms((2 * p.cap) / p.ratePerGateway.reduce((a, b) => a + b, 0) + 3 * (p.S + p.F + p.B + p.C));

  const subject = p.limitBy === 'budget' ? 'proj' : undefined;
  const claimsAt = p.limitBy === 'budget' ? budgetClaims : apiCallsClaims;
  const startFetch = (g: number, at: number) => {
    fetching[g] = true;
    push({ at: at + ms(p.F) * rnd(), kind: 'fetched', g, startedAt: at });
  };
  const decideAndAdmit = (g: number, at: number, q: number, justFetched: boolean) => {
    const d = views[g]!.decide(at, 'api_calls', q, 0, justFetched, subject);
    if (!d?.allowed) return;
    admitted += q;
    const id = `g${g}-${seq++}`;
    views[g]!.own.record(id, 'inference', q, subject);
    const answerIn = ms(p.B) * rnd();
    push({ at: at + answerIn * rnd(), kind: 'commit', units: q });
    push({ at: at + answerIn, kind: 'ack', g, id });
  };
  for (let g = 0; g < p.gateways; g++) push({ at: 0, kind: 'call', g });

  while (queue.length > 0) {
    const e = queue.shift() as Ev;
    if (e.at > horizon) break;
    if (e.kind === 'commit') {
      // The engine refuses what would pass the cap (or the budget): it stores at most L.
      if (stored + e.units <= p.cap) stored += e.units;
      commits.push({ at: e.at, total: stored });
    } else if (e.kind === 'ack') views[e.g]!.own.acked(e.id, e.at);
    else if (e.kind === 'fetched') {
      // The engine read its counters somewhere during the fetch, up to C stale.
      const readAt = e.startedAt + (e.at - e.startedAt) * rnd() - ms(p.C) * rnd();
      views[e.g]!.install(claimsAt(p.cap, storedAsOf(readAt)), e.startedAt, Infinity, 'cust');
      fetching[e.g] = false;
      for (const q of waiting[e.g]!.splice(0)) decideAndAdmit(e.g, e.at, q, true);
    } else {
      const g = e.g;
      const q = 1 + Math.floor(rnd() * p.qMax);
      const standing = views[g]!.standing(e.at);
      if (standing === 'fetch') {
        // The question waits for a snapshot (the one already being fetched, or a new one).
        waiting[g]!.push(q);
        if (!fetching[g]) startFetch(g, e.at);
      } else {
        if (standing === 'refresh' && !fetching[g]) startFetch(g, e.at);
        decideAndAdmit(g, e.at, q, false);
      }
      // At most ρ units a second, q at a time; sometimes idle for a while.
      const idle = rnd() < 0.05 ? ms(5 * (p.S + p.F)) * rnd() : 0;
      push({ at: e.at + ms(q / p.ratePerGateway[g]!) + idle, kind: 'call', g });
    }
  }
  return { admitted, stored };
}

const scenario = fc
  .record({
    limitBy: fc.constantFrom<Sim['limitBy']>('cap', 'budget'),
    gateways: fc.integer({ min: 1, max: 5 }),
    rate: fc.integer({ min: 5, max: 300 }),
    qMax: fc.integer({ min: 1, max: 8 }),
    cap: fc.integer({ min: 20, max: 1500 }),
    S: fc.double({ min: 0.05, max: 3, noNaN: true }),
    F: fc.double({ min: 0, max: 0.5, noNaN: true }),
    B: fc.double({ min: 0.01, max: 1, noNaN: true }),
    C: fc.double({ min: 0, max: 1, noNaN: true }),
    seed: fc.integer(),
    spread: fc.double({ min: 0.2, max: 1, noNaN: true }),
  })
  .map((r): Sim => ({
    ...r,
    // Gateways at different rates, none above ρ.
    ratePerGateway: Array.from({ length: r.gateways }, (_, g) => r.rate * (g === 0 ? 1 : r.spread)),
  }));

const boundOf = (p: Sim): BoundInputs => ({
  gateways: p.gateways,
  unitsPerSecondPerGateway: Math.max(...p.ratePerGateway),
  maxQuantity: p.qMax,
  refreshSeconds: p.S,
  fetchSeconds: p.F,
  reportSeconds: p.B,
  engineStalenessSeconds: p.C,
});

describe('the overspend bound', () => {
  it('holds for every number of gateways, rate, refresh, fetch, report and counter delay, on a cap and on a budget', () => {
    let tightest = 0;
    let overspent = 0;
    let overspentOnBudget = 0;
    fc.assert(
      fc.property(scenario, (p) => {
        const { admitted } = simulate(p);
        const over = Math.max(0, admitted - p.cap);
        const bound = overspendBound(boundOf(p));
        expect(over).toBeLessThanOrEqual(bound);
        if (p.gateways === 1) expect(over).toBe(0);
        if (over > 0) overspent++;
        if (over > 0 && p.limitBy === 'budget') overspentOnBudget++;
        if (bound > 0) tightest = Math.max(tightest, over / bound);
      }),
      { numRuns: 300 },
    );
    // Not vacuous: gateways do overspend, and by a fair share of what the bound allows.
    expect(overspent).toBeGreaterThan(10);
    expect(overspentOnBudget).toBeGreaterThan(3);
    expect(tightest).toBeGreaterThan(0.3);
  });

  it('is zero for one gateway and grows with the blind window and the number of gateways', () => {
    const base: BoundInputs = {
      gateways: 1,
      unitsPerSecondPerGateway: 100,
      maxQuantity: 1,
      refreshSeconds: 5,
      fetchSeconds: 1,
      reportSeconds: 0.2,
      engineStalenessSeconds: 1,
    };
    expect(overspendBound(base)).toBe(0);
    expect(overspendBound({ ...base, gateways: 4 })).toBeCloseTo(3 * (100 * 7.2 + 1));
    expect(overspendBound({ ...base, gateways: 4, refreshSeconds: 1 })).toBeCloseTo(3 * (100 * 3.2 + 1));
  });
});

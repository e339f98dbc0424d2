import { CustomerView } from '../src/customer-view';
import { apiCallsClaims } from './claims';

/** What one gateway holds of a customer's usage, and when it may let go of it. */
describe("a customer's own usage, as one gateway holds it", () => {
  const policy = { refreshMs: 5000, graceMs: 1000, stalenessMs: 1000 };

  it('counts what it let through until a snapshot fetched after the answer, less C, has it', () => {
    const view = new CustomerView(policy);
    view.install(apiCallsClaims(100, 10), 0, 60_000, 'cust_1');
    view.own.record('a', 'inference', 5);
    view.own.record('a', 'inference', 5);
    view.own.record('b', 'embedding', 3);
    expect(view.decide(100, 'api_calls', 1, 0)).toMatchObject({ remaining: 82 });
    view.own.acked('a', 1000);
    // Fetched 500 ms after the answer: within the counter cache, the snapshot may not have it yet.
    view.install(apiCallsClaims(100, 15), 1500, 60_000, 'cust_1');
    expect(view.decide(1600, 'api_calls', 1, 0)).toMatchObject({ remaining: 77 });
    view.install(apiCallsClaims(100, 15), 2000, 60_000, 'cust_1');
    expect(view.decide(2100, 'api_calls', 1, 0)).toMatchObject({ remaining: 82 });
  });

  it('lets go of answered usage only when no snapshot can answer any more, and says when nothing is left', () => {
    const view = new CustomerView(policy);
    view.install(apiCallsClaims(100, 0), 0, 10_000, 'cust_1');
    view.own.record('a', 'inference', 2);
    view.own.record('b', 'inference', 3);
    view.own.acked('a', 1000);
    // The snapshot still answers: everything it may lack stays counted.
    expect(view.forgetAnswered(5000)).toBe(false);
    expect(view.own.total).toBe(5);
    // Expired: what was answered more than C ago is in any later snapshot.
    expect(view.forgetAnswered(10_000)).toBe(false);
    expect({ total: view.own.total, byType: [...view.own.byType] }).toEqual({
      total: 3,
      byType: [['inference', 3]],
    });
    view.own.acked('b', 10_500);
    expect(view.forgetAnswered(11_000)).toBe(false);
    expect(view.forgetAnswered(11_500)).toBe(true);
    expect({ total: view.own.total, size: view.own.size, types: view.own.byType.size }).toEqual({
      total: 0,
      size: 0,
      types: 0,
    });
  });

  it('lets go of answered usage of a customer never asked about', () => {
    const view = new CustomerView(policy);
    view.own.record('a', 'tts', 4);
    expect(view.forgetAnswered(0)).toBe(false);
    view.own.acked('a', 100);
    expect(view.forgetAnswered(1100)).toBe(true);
  });
});

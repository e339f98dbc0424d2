import Router from '@koa/router';
import { rememberMatches } from '../../api/routing/remembered-matches';

describe("the router's remembered matches", () => {
  function routerWithRoutes() {
    const router = new Router();
    router.get('/items/:id', () => {});
    router.post('/items/:id/check', () => {});
    const tested = jest.spyOn(router, 'match');
    return { router, tested };
  }

  it('answers a method and path as the router does, testing the routes once for each', () => {
    const { router, tested } = routerWithRoutes();
    const fresh = routerWithRoutes().router;
    rememberMatches(router);
    for (const [path, method] of [
      ['/items/1', 'GET'],
      ['/items/1', 'POST'],
      ['/items/1/check', 'POST'],
      ['/ITEMS/1/check/', 'POST'],
      ['/nothing', 'GET'],
    ] as const) {
      const first = router.match(path, method);
      const again = router.match(path, method);
      const truth = fresh.match(path, method);
      for (const answer of [first, again]) {
        expect(answer.route).toBe(truth.route);
        expect(answer.path.map((l) => l.path)).toEqual(truth.path.map((l) => l.path));
        expect(answer.pathAndMethod.map((l) => l.path)).toEqual(truth.pathAndMethod.map((l) => l.path));
      }
    }
    expect(tested).toHaveBeenCalledTimes(5);
  });

  it('gives each request arrays of its own, so what one adds is not the next one’s', () => {
    const { router } = routerWithRoutes();
    rememberMatches(router);
    const first = router.match('/items/1', 'GET');
    first.path.push(...first.path);
    first.pathAndMethod.length = 0;
    const next = router.match('/items/1', 'GET');
    expect(next.path).toHaveLength(1);
    expect(next.pathAndMethod).toHaveLength(1);
  });

  it('keeps no more than it may: forgets all past its size, and never keeps a long path', () => {
    const { router, tested } = routerWithRoutes();
    rememberMatches(router, 3);
    for (const id of [1, 2, 3, 4, 1]) router.match(`/items/${id}`, 'GET');
    // 1, 2, 3 kept; 4 clears them and is kept alone; 1 is tested again.
    expect(tested).toHaveBeenCalledTimes(5);
    router.match('/items/4', 'GET');
    expect(tested).toHaveBeenCalledTimes(5);
    const long = `/items/${'x'.repeat(300)}`;
    router.match(long, 'GET');
    router.match(long, 'GET');
    expect(tested).toHaveBeenCalledTimes(7);
    expect(router.match(long, 'GET').route).toBe(true);
  });
});

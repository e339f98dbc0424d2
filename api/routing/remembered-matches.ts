import type Router from '@koa/router';

/** Paths longer than this are matched afresh every time, so a caller cannot fill the memory with them. */
const MAX_PATH = 256;

/**
 * The router tests every mounted route's pattern against each request's path (about 150 of them: 6 % of
 * check-access's CPU). Once the routes are mounted, what a method and path match never changes, so the
 * answer is kept, for up to `max` of them; past that they are all forgotten at once, so endless distinct
 * paths (an id in each) cost a lookup and a little memory, never more.
 */
export function rememberMatches(router: Router, max = 2000): void {
  const match = router.match.bind(router);
  const known = new Map<string, ReturnType<Router['match']>>();
  router.match = (path, method) => {
    if (path.length > MAX_PATH) return match(path, method);
    const key = `${method} ${path}`;
    let found = known.get(key);
    if (!found) {
      if (known.size >= max) known.clear();
      found = match(path, method);
      known.set(key, found);
    }
    // Arrays of its own for each request: the router keeps them on the context, where they may grow.
    return { ...found, path: [...found.path], pathAndMethod: [...found.pathAndMethod] };
  };
}

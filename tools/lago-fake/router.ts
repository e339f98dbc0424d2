import type { LagoStore } from './store';

export interface RouteContext {
  store: LagoStore;
  params: Record<string, string>;
  query: URLSearchParams;
  body: Record<string, unknown>;
}

export interface RouteResult {
  status?: number;
  body: unknown;
}

type Handler = (ctx: RouteContext) => RouteResult;

interface Route {
  method: string;
  regex: RegExp;
  names: string[];
  handler: Handler;
}

/** Method + path patterns with `:name` segments; the first match wins. */
export class Router {
  private routes: Route[] = [];

  on(method: string, pattern: string, handler: Handler): void {
    const names: string[] = [];
    const source = pattern.replace(/:(\w+)/g, (_m, name: string) => {
      names.push(name);
      return '([^/]+)';
    });
    this.routes.push({ method, regex: new RegExp(`^${source}$`), names, handler });
  }

  match(method: string, path: string): { handler: Handler; params: Record<string, string> } | null {
    for (const route of this.routes) {
      if (route.method !== method) continue;
      const m = route.regex.exec(path);
      if (!m) continue;
      const params: Record<string, string> = {};
      route.names.forEach((name, i) => (params[name] = decodeURIComponent(m[i + 1] ?? '')));
      return { handler: route.handler, params };
    }
    return null;
  }
}

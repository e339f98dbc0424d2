import type { Params } from './form';

export interface ApiRequest {
  method: string;
  path: string;
  params: Params;
  pathParams: Record<string, string>;
  apiKey: string;
  idempotencyKey: string | null;
  requestId: string;
}

export type Handler = (req: ApiRequest) => unknown;

interface Route {
  method: string;
  regex: RegExp;
  names: string[];
  handler: Handler;
}

/** `/v1/customers/:id` style routes; a handful of dozen routes do not need anything cleverer. */
export class Router {
  private readonly routes: Route[] = [];

  on(method: string, pattern: string, handler: Handler): this {
    const names: string[] = [];
    const source = pattern.replace(/\//g, '\\/').replace(/:(\w+)/g, (_m, name: string) => {
      names.push(name);
      return '([^/]+)';
    });
    this.routes.push({ method, regex: new RegExp(`^${source}$`), names, handler });
    return this;
  }

  get(pattern: string, handler: Handler): this {
    return this.on('GET', pattern, handler);
  }

  post(pattern: string, handler: Handler): this {
    return this.on('POST', pattern, handler);
  }

  delete(pattern: string, handler: Handler): this {
    return this.on('DELETE', pattern, handler);
  }

  match(method: string, path: string): { handler: Handler; pathParams: Record<string, string> } | null {
    for (const r of this.routes) {
      if (r.method !== method) continue;
      const m = r.regex.exec(path);
      if (!m) continue;
      const pathParams: Record<string, string> = {};
      r.names.forEach((n, i) => (pathParams[n] = decodeURIComponent(m[i + 1] ?? '')));
      return { handler: r.handler, pathParams };
    }
    return null;
  }
}

/** `invalidRequest`: a 400 Stripe's client does not retry, as Stripe answers a request it refuses for good. */
export type FaultKind = 'error500' | 'rateLimit' | 'latency' | 'drop' | 'invalidRequest';

export interface FaultRule {
  /** HTTP method, or '*' (the default) for any. */
  method?: string;
  /** Path pattern: exact, with `*` wildcards (`/v1/customers*`), or with `:param` segments. */
  path: string;
  kind: FaultKind;
  /** How many matching requests are affected; defaults to 1. */
  count?: number;
  /** For `latency`: added delay before the request is handled normally. */
  latencyMs?: number;
}

export interface ActiveFault extends Required<Omit<FaultRule, 'latencyMs'>> {
  id: number;
  latencyMs: number;
  remaining: number;
}

function patternToRegex(pattern: string): RegExp {
  const escaped = pattern
    .split('*')
    .map((chunk) => chunk.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/:\w+/g, '[^/]+'))
    .join('.*');
  return new RegExp(`^${escaped}$`);
}

/** Faults for the next N matching requests, each rule used up in the order it was added. */
export class FaultInjector {
  private rules: (ActiveFault & { regex: RegExp })[] = [];
  private nextId = 1;

  add(rule: FaultRule): ActiveFault {
    const count = rule.count ?? 1;
    const active = {
      id: this.nextId++,
      method: (rule.method ?? '*').toUpperCase(),
      path: rule.path,
      kind: rule.kind,
      count,
      latencyMs: rule.latencyMs ?? 0,
      remaining: count,
      regex: patternToRegex(rule.path),
    };
    this.rules.push(active);
    return this.describe(active);
  }

  take(method: string, path: string): ActiveFault | null {
    const rule = this.rules.find(
      (r) => r.remaining > 0 && (r.method === '*' || r.method === method) && r.regex.test(path),
    );
    if (!rule) return null;
    rule.remaining--;
    if (rule.remaining === 0) this.rules = this.rules.filter((r) => r !== rule);
    return this.describe(rule);
  }

  list(): ActiveFault[] {
    return this.rules.map((r) => this.describe(r));
  }

  clear(): void {
    this.rules = [];
  }

  private describe(r: ActiveFault): ActiveFault {
    const { id, method, path, kind, count, latencyMs, remaining } = r;
    return { id, method, path, kind, count, latencyMs, remaining };
  }
}

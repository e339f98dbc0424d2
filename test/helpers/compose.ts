/**
 * docker-compose.yml as Docker Compose would see it, without Docker: its `${…}` filled in from an
 * operator's .env (Compose's interpolation rules), merge keys applied, and the host files a service's
 * paths name once its volumes are mounted. Also the `{{ env "…" }}` templates of ops/temporal, filled in
 * as the Temporal server and its UI server fill them in.
 */
import { readFileSync } from 'node:fs';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { parse } from 'yaml';

export const ROOT = join(__dirname, '..', '..');
export const COMPOSE_FILE = join(ROOT, 'docker-compose.yml');

export interface ComposeService {
  image?: string;
  build?: string | { context: string; dockerfile?: string };
  command?: string[];
  user?: string;
  restart?: string;
  depends_on?: string[] | Record<string, { condition: string }>;
  environment?: Record<string, unknown>;
  ports?: (string | number | { target?: number; published?: string | number; host_ip?: string })[];
  volumes?: (string | { type?: string; source?: string; target: string; read_only?: boolean })[];
  networks?: string[] | Record<string, { aliases?: string[] } | null>;
}

export interface Compose {
  services: Record<string, ComposeService>;
}

export class MissingVariable extends Error {}

/** The index of the `}` that closes the `${` opening at `start`, braces nested in a default counted. */
function closingBrace(text: string, start: number): number {
  let depth = 0;
  for (let i = start; i < text.length; i++) {
    if (text.startsWith('${', i)) {
      depth++;
      i++;
    } else if (text[i] === '}') {
      depth--;
      if (depth === 0) return i;
    }
  }
  throw new Error(`unclosed \${ at ${start}`);
}

/**
 * Compose's interpolation: `$$` is a dollar; `${NAME}` and `$NAME`; `${NAME:-default}` (unset or empty),
 * `${NAME-default}` (unset); `${NAME:?message}` and `${NAME?message}` refuse to go on; `${NAME:+alt}` and
 * `${NAME+alt}`. Defaults may themselves hold `${…}`.
 */
export function interpolate(text: string, vars: Record<string, string | undefined>): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c !== '$') {
      out += c;
      continue;
    }
    if (text[i + 1] === '$') {
      out += '$';
      i++;
      continue;
    }
    if (text[i + 1] === '{') {
      const end = closingBrace(text, i);
      const body = text.slice(i + 2, end);
      const m = /^([A-Za-z_][A-Za-z0-9_]*)(?:(:?)([-?+])([\s\S]*))?$/.exec(body);
      if (!m) throw new Error(`bad interpolation \${${body}}`);
      const [, name, colon, op, rest = ''] = m as unknown as [string, string, string, string, string];
      const value = vars[name!];
      const absent = colon ? value === undefined || value === '' : value === undefined;
      if (!op) out += value ?? '';
      else if (op === '-') out += absent ? interpolate(rest, vars) : value;
      else if (op === '+') out += absent ? '' : interpolate(rest, vars);
      else if (absent) throw new MissingVariable(`${name}: ${interpolate(rest, vars)}`);
      else out += value;
      i = end;
      continue;
    }
    const name = /^[A-Za-z_][A-Za-z0-9_]*/.exec(text.slice(i + 1))?.[0];
    if (!name) {
      out += c;
      continue;
    }
    out += vars[name] ?? '';
    i += name.length;
  }
  return out;
}

/** The names compose refuses to start without (`${NAME:?…}` or `${NAME?…}`). */
export function requiredVariables(text: string): string[] {
  return [...new Set([...text.matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*):?\?/g)].map((m) => m[1]!))].sort();
}

/** A .env file (`NAME=value` lines, `#` comments, optional quotes), as Compose reads it. */
export function parseDotEnv(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$/.exec(line);
    if (!m) continue;
    const raw = m[2]!;
    out[m[1]!] = /^(['"]).*\1$/.test(raw) ? raw.slice(1, -1) : raw.replace(/\s+#.*$/, '');
  }
  return out;
}

export function composeText(): string {
  return readFileSync(COMPOSE_FILE, 'utf8');
}

/** The file as written (no interpolation), or filled in from `vars` as `docker compose` would. */
export function loadCompose(vars?: Record<string, string | undefined>): Compose {
  const text = composeText();
  return parse(vars ? interpolate(text, vars) : text, { merge: true }) as Compose;
}

/** A service's environment, every value a string as the process sees it. */
export function environmentOf(compose: Compose, name: string): Record<string, string> {
  const env = compose.services[name]?.environment ?? {};
  return Object.fromEntries(Object.entries(env).map(([k, v]) => [k, v === null ? '' : String(v)]));
}

export interface Mount {
  /** On the host, relative to the compose file as written (`./secrets/engine`). */
  source: string;
  target: string;
  readOnly: boolean;
}

export function mountsOf(compose: Compose, name: string): Mount[] {
  return (compose.services[name]?.volumes ?? []).map((v) => {
    if (typeof v === 'object')
      return { source: v.source ?? '', target: v.target, readOnly: Boolean(v.read_only) };
    const [source = '', target = '', mode = ''] = v.split(':');
    return { source, target, readOnly: mode.split(',').includes('ro') };
  });
}

/** The bind mount a path inside the service's container comes from, if any. */
export function mountOf(compose: Compose, name: string, path: string): Mount | undefined {
  return mountsOf(compose, name)
    .filter((m) => path === m.target || path.startsWith(`${m.target.replace(/\/$/, '')}/`))
    .sort((a, b) => b.target.length - a.target.length)[0];
}

/**
 * Where a path inside the service's container is on the host: its bind mount's source, resolved against
 * `hostRoot` (the folder standing in for the compose file's), or null when no bind mount holds it.
 */
export function hostPath(compose: Compose, name: string, path: string, hostRoot = ROOT): string | null {
  const mount = mountOf(compose, name, path);
  if (!mount || !/^\.{0,2}\//.test(mount.source)) return null;
  const rest = relative(mount.target, path);
  const source = isAbsolute(mount.source) ? mount.source : resolve(hostRoot, mount.source);
  return rest ? join(source, rest) : source;
}

/**
 * The `{{ … }}` of ops/temporal's configuration files as their servers (Go text/template with sprig)
 * fill them in, for the forms those files use: `env "NAME"`, `env "NAME" | default "value"`, and
 * `if env "NAME"` … `else` … `end` blocks (`{{-` and `-}}` trim whitespace as Go's do).
 */
export function renderTemporalTemplate(text: string, env: Record<string, string | undefined>): string {
  const tokens = text.split(/(\{\{-?\s*[\s\S]*?\s*-?\}\})/);
  // Trim markers: `{{-` eats the whitespace before, `-}}` the whitespace after.
  for (let i = 1; i < tokens.length; i += 2) {
    if (/^\{\{-\s/.test(tokens[i]!)) tokens[i - 1] = tokens[i - 1]!.replace(/\s+$/, '');
    if (/\s-\}\}$/.test(tokens[i]!)) tokens[i + 1] = tokens[i + 1]!.replace(/^\s+/, '');
  }
  const value = (expr: string): string => {
    const m = /^env "([A-Za-z_0-9]+)"(?:\s*\|\s*default "([^"]*)")?$/.exec(expr);
    if (!m) throw new Error(`unsupported template expression {{ ${expr} }}`);
    const v = env[m[1]!] ?? '';
    return v === '' && m[2] !== undefined ? m[2] : v;
  };
  let out = '';
  // Each entry: is the block being written?
  const stack: boolean[] = [];
  const writing = () => stack.every(Boolean);
  tokens.forEach((token, i) => {
    if (i % 2 === 0) {
      if (writing()) out += token;
      return;
    }
    const expr = token.replace(/^\{\{-?\s*/, '').replace(/\s*-?\}\}$/, '');
    const cond = /^if (.+)$/.exec(expr);
    if (cond) stack.push(value(cond[1]!) !== '');
    else if (expr === 'else') stack.push(!stack.pop());
    else if (expr === 'end') stack.pop();
    else if (writing()) out += value(expr);
  });
  if (stack.length) throw new Error('unclosed {{ if }}');
  return out;
}

export function renderTemporalConfig(file: string, env: Record<string, string | undefined>): unknown {
  return parse(renderTemporalTemplate(readFileSync(join(ROOT, file), 'utf8'), env));
}

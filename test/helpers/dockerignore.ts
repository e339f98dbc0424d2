import { lstatSync, readdirSync } from 'node:fs';
import { join, posix } from 'node:path';

/**
 * What `docker build` sends as its context, computed the way Docker does without a Docker engine. The
 * rules are Docker's (moby/patternmatcher, used by the CLI and BuildKit): a line starting with `#` is a
 * comment; each line is trimmed, `!` marks an exception, the pattern is cleaned like Go's filepath.Clean
 * and a leading `/` dropped; patterns follow Go's filepath.Match (`*` and `?` stop at `/`, `[...]` classes,
 * `\` escapes) plus `**`, any number of directories; a pattern matching a parent directory matches
 * everything under it; the last pattern that matches a path decides.
 */

interface Pattern {
  exclusion: boolean;
  regex: RegExp;
  /** One expression per path segment (`**` as null), to tell whether it could match below a directory. */
  segments: (RegExp | null)[];
}

/** Go's path.Clean for the slash-separated patterns Docker reads. */
function clean(pattern: string): string {
  const cleaned = posix.normalize(pattern);
  return cleaned.length > 1 && cleaned.endsWith('/') ? cleaned.slice(0, -1) : cleaned;
}

/** The lines of a .dockerignore file as Docker reads them (moby/patternmatcher/ignorefile.ReadAll). */
export function readDockerignore(text: string): string[] {
  const out: string[] = [];
  for (const [i, raw] of text.replace(/\r\n/g, '\n').split('\n').entries()) {
    const line = i === 0 ? raw.replace(/^\uFEFF/, '') : raw;
    if (line.startsWith('#')) continue;
    let pattern = line.trim();
    if (pattern === '') continue;
    const invert = pattern.startsWith('!');
    if (invert) pattern = pattern.slice(1).trim();
    if (pattern.length > 0) {
      pattern = clean(pattern);
      if (pattern.length > 1 && pattern.startsWith('/')) pattern = pattern.slice(1);
    }
    out.push(invert ? `!${pattern}` : pattern);
  }
  return out;
}

// The characters Docker escapes (moby/patternmatcher's escapeChars); `^` keeps its meaning in `[^…]`.
const REGEX_SPECIAL = new Set(['.', '$', '+', '(', ')', '{', '}', '|']);

/** A pattern as the regular expression Docker compiles it to (moby/patternmatcher Pattern.compile). */
function compile(pattern: string): RegExp {
  let re = '^';
  const chars = [...pattern];
  for (let i = 0; i < chars.length; i++) {
    const ch = chars[i]!;
    if (ch === '*') {
      if (chars[i + 1] === '*') {
        i++;
        // `**/` is `**`: the slash is eaten.
        if (chars[i + 1] === '/') i++;
        re += i + 1 >= chars.length ? '.*' : '(.*/)?';
      } else {
        re += '[^/]*';
      }
    } else if (ch === '?') {
      re += '[^/]';
    } else if (REGEX_SPECIAL.has(ch)) {
      re += `\\${ch}`;
    } else if (ch === '\\') {
      const next = chars[i + 1];
      if (next !== undefined) {
        re += /[A-Za-z0-9]/.test(next) ? next : `\\${next}`;
        i++;
      } else {
        re += '\\\\';
      }
    } else {
      // `[` and `]` keep their class meaning; everything else is itself.
      re += ch;
    }
  }
  return new RegExp(`${re}$`, 'u');
}

export class DockerignoreMatcher {
  private readonly patterns: Pattern[];

  constructor(lines: string[]) {
    this.patterns = lines
      .map((line) => {
        const exclusion = line.startsWith('!');
        const body = exclusion ? line.slice(1) : line;
        return { exclusion, body: clean(body) };
      })
      .filter(({ body }) => body !== '' && body !== '.')
      .map(({ exclusion, body }) => ({
        exclusion,
        regex: compile(body),
        segments: body.split('/').map((s) => (s === '**' ? null : compile(s))),
      }));
  }

  /**
   * Whether some exception could bring back a path under this (excluded) directory, so that the walk
   * need not enter node_modules when only `!api` and the like follow.
   */
  mayReinclude(dir: string): boolean {
    const parts = dir.split('/');
    return this.patterns.some(({ exclusion, segments }) => {
      if (!exclusion) return false;
      for (let i = 0; i < Math.min(parts.length, segments.length); i++) {
        const segment = segments[i];
        if (segment === null || segment === undefined) return true;
        if (!segment.test(parts[i]!)) return false;
      }
      return true;
    });
  }

  static fromFile(text: string): DockerignoreMatcher {
    return new DockerignoreMatcher(readDockerignore(text));
  }

  /** Whether a context path (slash-separated, relative) is left out (PatternMatcher.MatchesOrParentMatches). */
  excludes(file: string): boolean {
    const parentPath = posix.dirname(file);
    const parentDirs = parentPath.split('/');
    let matched = false;
    for (const pattern of this.patterns) {
      // An exception only matters once something excluded the path, an exclusion only while it is in.
      if (pattern.exclusion !== matched) continue;
      let match = pattern.regex.test(file);
      if (!match && parentPath !== '.') {
        for (let i = 0; i < parentDirs.length && !match; i++) {
          match = pattern.regex.test(parentDirs.slice(0, i + 1).join('/'));
        }
      }
      if (match) matched = !pattern.exclusion;
    }
    return matched;
  }
}

/**
 * Every file (and symbolic link) under `root` that a build with this .dockerignore would send, as
 * slash-separated relative paths. An excluded directory is still walked when an exception may bring
 * back something under it, as Docker does.
 */
export function buildContext(root: string, dockerignore: string): string[] {
  const matcher = DockerignoreMatcher.fromFile(dockerignore);
  const out: string[] = [];
  const walk = (dir: string, rel: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = rel ? `${rel}/${entry.name}` : entry.name;
      const full = join(dir, entry.name);
      // Docker sends a symbolic link as a link, never what it points to.
      if (entry.isDirectory() && !lstatSync(full).isSymbolicLink()) {
        if (!matcher.excludes(path) || matcher.mayReinclude(path)) walk(full, path);
      } else if (!matcher.excludes(path)) out.push(path);
    }
  };
  walk(root, '');
  return out.sort();
}

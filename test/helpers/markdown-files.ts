import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

/** The README and every Markdown page under docs/ of `base`, the README first. */
export function markdownFiles(base: string): string[] {
  const pages: string[] = [];
  const walk = (dir: string) => {
    if (!existsSync(dir)) return;
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.md')) pages.push(path);
    }
  };
  walk(join(base, 'docs'));
  return [join(base, 'README.md'), ...pages.sort()];
}

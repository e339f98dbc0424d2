import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';

import { markdownFiles } from '../helpers/markdown-files';

const root = join(__dirname, '..', '..');

/** The text without fenced code blocks and inline code spans, where brackets are not links. */
function proseOf(markdown: string): string {
  return markdown
    .replace(/^ {0,3}(`{3,}|~{3,})[^\n]*\n[\s\S]*?^ {0,3}\1[^\n]*$/gm, '')
    .replace(/(`+)[\s\S]*?\1/g, '');
}

/** GitHub's anchor for a heading: its text lowercased, punctuation dropped, spaces made hyphens. */
function slugOf(heading: string): string {
  const text = heading
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/[`*]/g, '')
    .trim();
  return text
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '')
    .replace(/ /g, '-');
}

/** Every anchor a page offers: its headings' slugs (repeats numbered as GitHub does) and explicit ids. */
function anchorsOf(markdown: string): Set<string> {
  const withoutFences = markdown.replace(/^ {0,3}(`{3,}|~{3,})[^\n]*\n[\s\S]*?^ {0,3}\1[^\n]*$/gm, '');
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const match of withoutFences.matchAll(/^ {0,3}#{1,6}[ \t]+(.*?)[ \t]*#*[ \t]*$/gm)) {
    const slug = slugOf(match[1] ?? '');
    const n = seen.get(slug) ?? 0;
    seen.set(slug, n + 1);
    anchors.add(n === 0 ? slug : `${slug}-${n}`);
  }
  for (const match of withoutFences.matchAll(/<a\s[^>]*(?:id|name)="([^"]+)"/g)) anchors.add(match[1] ?? '');
  return anchors;
}

/** Every link and image target of a page: inline `[text](target)`, reference definitions, `<img src>`. */
function targetsOf(markdown: string): string[] {
  const prose = proseOf(markdown);
  const targets: string[] = [];
  for (const m of prose.matchAll(/!?\[(?:[^\]\\]|\\.)*\]\(\s*<?([^)\s>]*)>?(?:\s+"[^"]*")?\s*\)/g))
    targets.push(m[1] ?? '');
  for (const m of prose.matchAll(/^ {0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)/gm)) targets.push(m[1] ?? '');
  for (const m of prose.matchAll(/<img\s[^>]*src="([^"]+)"/g)) targets.push(m[1] ?? '');
  return targets;
}

/** What is wrong with each relative link of the given pages: a missing file or a missing heading. */
function brokenLinks(base: string, files: string[]): string[] {
  const problems: string[] = [];
  for (const file of files) {
    const markdown = readFileSync(file, 'utf8');
    for (const target of targetsOf(markdown)) {
      if (target === '' || /^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith('//')) continue;
      const [pathPart, anchor] = target.split('#', 2) as [string, string | undefined];
      const path = pathPart === '' ? file : resolve(dirname(file), decodeURIComponent(pathPart));
      const where = `${relative(base, file)}: ${target}`;
      if (!existsSync(path)) {
        problems.push(`${where} (no such file)`);
        continue;
      }
      if (anchor === undefined) continue;
      if (!path.endsWith('.md')) {
        problems.push(`${where} (an anchor into a file that is not Markdown)`);
        continue;
      }
      if (!anchorsOf(readFileSync(path, 'utf8')).has(anchor)) problems.push(`${where} (no such heading)`);
    }
  }
  return problems;
}

describe('the links of the README and docs/', () => {
  it('every relative link and image resolves to a file, and every #anchor to a heading of it', () => {
    const files = markdownFiles(root);
    expect(files.length).toBeGreaterThan(5);
    const checked = files
      .flatMap((f) => targetsOf(readFileSync(f, 'utf8')))
      .filter((t) => !/^[a-z]+:/i.test(t));
    expect(checked.length).toBeGreaterThan(20);
    expect(brokenLinks(root, files)).toEqual([]);
  });

  it('the README stays the front door: at most 150 lines, depth in docs/', () => {
    const lines = readFileSync(join(root, 'README.md'), 'utf8').trimEnd().split('\n').length;
    expect(lines).toBeLessThanOrEqual(150);
  });

  it('the README shows a screenshot and maps every page under docs/', () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const targets = targetsOf(readme);
    expect(targets.some((t) => /^docs\/screenshots\/.+\.png$/.test(t))).toBe(true);
    const pages = markdownFiles(root)
      .slice(1)
      .map((f) => relative(root, f));
    expect(pages.filter((p) => !targets.includes(p))).toEqual([]);
  });

  it("finds a missing file, a missing heading and a link into another page's missing heading", () => {
    const dir = mkdtempSync(join(tmpdir(), 'docs-links-'));
    try {
      writeFileSync(
        join(dir, 'README.md'),
        [
          '# Title',
          '## The gateway’s key read: `GET /keys`',
          '[ok](#the-gateways-key-read-get-keys) [ok](docs/a.md#a-heading) ![ok](docs/a.md)',
          '[gone](docs/missing.md) [no heading](#nowhere) [elsewhere](docs/a.md#nowhere)',
          '[web](https://example.com/x.md) `[code](docs/missing-in-code.md)`',
          '```',
          '[fenced](docs/missing-in-fence.md)',
          '```',
        ].join('\n'),
      );
      mkdirSync(join(dir, 'docs'));
      writeFileSync(join(dir, 'docs', 'a.md'), '# A heading\n\n[up](../README.md#title)\n');
      expect(brokenLinks(dir, markdownFiles(dir))).toEqual([
        'README.md: docs/missing.md (no such file)',
        'README.md: #nowhere (no such heading)',
        'README.md: docs/a.md#nowhere (no such heading)',
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('makes anchors as GitHub does', () => {
    expect(slugOf("The gateway's key read")).toBe('the-gateways-key-read');
    expect(slugOf('`npm run bench:console`')).toBe('npm-run-benchconsole');
    expect(slugOf('Lago (usage billing)')).toBe('lago-usage-billing');
    expect(slugOf('Checking a deployment: `npm run verify`')).toBe('checking-a-deployment-npm-run-verify');
    expect(slugOf('Bring your own key (BYOK)')).toBe('bring-your-own-key-byok');
  });
});

import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { markdownFiles } from '../helpers/markdown-files';

const root = join(__dirname, '..', '..');

/** The phrases of a lab log that do not belong in the docs, each with the name a hit is listed under. */
const LAB_NOTES: { name: string; pattern: RegExp }[] = [
  { name: 'this session', pattern: /\bthis session\b/i },
  { name: 'last session', pattern: /\blast session\b/i },
  { name: 'session <number>', pattern: /\bsessions? #?\d+/i },
  { name: 'issue <number>', pattern: /\bissues? #?\d+/i },
  { name: 'TODO', pattern: /\bTODO\b/ },
  { name: 'not built yet', pattern: /\bnot built yet\b/i },
  // A git commit hash: 7–40 hex digits holding both a letter and a digit, not part of a longer word.
  { name: 'commit hash', pattern: /(?<![\w-])(?=[0-9a-f]*[a-f])(?=[0-9a-f]*\d)[0-9a-f]{7,40}(?![\w-])/ },
];

/** A line's prose: inline code spans, link targets and bare URLs removed. */
function proseOfLine(line: string): string {
  return line
    .replace(/(`+)[^`]*?\1/g, ' ')
    .replace(/\]\([^)]*\)/g, '] ')
    .replace(/<?\b[a-z][a-z0-9+.-]*:\/\/[^\s>)]*>?/gi, ' ');
}

/** Every lab-note phrase of a Markdown text, outside fenced code blocks, as `line: phrase`. */
function labNotesIn(markdown: string): { line: number; note: string }[] {
  const hits: { line: number; note: string }[] = [];
  let fence: string | null = null;
  markdown.split('\n').forEach((text, i) => {
    const opener = /^ {0,3}(`{3,}|~{3,})/.exec(text);
    if (fence !== null) {
      if (opener && opener[1]?.[0] === fence[0] && (opener[1]?.length ?? 0) >= fence.length) fence = null;
      return;
    }
    if (opener) {
      fence = opener[1] ?? null;
      return;
    }
    const prose = proseOfLine(text);
    for (const { name, pattern } of LAB_NOTES)
      if (pattern.test(prose)) hits.push({ line: i + 1, note: name });
  });
  return hits;
}

describe('lab notes in the README and docs/', () => {
  it('finds each lab-note phrase', () => {
    expect(labNotesIn('Measured this session on B.')).toEqual([{ line: 1, note: 'this session' }]);
    expect(labNotesIn('As in the Last Session, slower.')).toEqual([{ line: 1, note: 'last session' }]);
    expect(labNotesIn('Recorded in session 12.')).toEqual([{ line: 1, note: 'session <number>' }]);
    expect(labNotesIn('Since issue 30 the check')).toEqual([{ line: 1, note: 'issue <number>' }]);
    expect(labNotesIn('Fixed by Issue #31.')).toEqual([{ line: 1, note: 'issue <number>' }]);
    expect(labNotesIn('TODO: say why')).toEqual([{ line: 1, note: 'TODO' }]);
    expect(labNotesIn('The export is not built yet.')).toEqual([{ line: 1, note: 'not built yet' }]);
    expect(labNotesIn('before (a349c0e) and after')).toEqual([{ line: 1, note: 'commit hash' }]);
    expect(labNotesIn('at 5f3e9c1a2b4d6e8f0a1b2c3d4e5f6a7b8c9d0e1f.')).toEqual([
      { line: 1, note: 'commit hash' },
    ]);
  });

  it('passes prose that only looks like one', () => {
    const prose = [
      'The deadbeef and cafebabe words, a face and 1234567 alone, all without both a letter and a digit.',
      'An issue of the invoice, a session of the console, issues with retries, a todo list.',
      'The id cus_1a2b3c4d5e and the key req-1a2b3c4d5e are parts of longer words.',
      'Short hex: a1b2c3 is six characters; 2026-11-25 is a date.',
      'See [the commit](https://github.com/o/r/commit/a349c0e) and <https://example.com/1a2b3c4d5e>.',
      'In code: `git show a349c0e` and `TODO`.',
      '[Usage](usage.md#a349c0e-section) links by anchor.',
    ].join('\n');
    expect(labNotesIn(prose)).toEqual([]);
  });

  it('skips fenced code blocks and goes on after them, counting lines', () => {
    const markdown = [
      'Intro.',
      '```sh',
      'git log a349c0e # this session, issue 42, TODO',
      '~~~',
      '```',
      '~~~',
      'not built yet',
      '~~~',
      'After the fences, issue 7.',
    ].join('\n');
    expect(labNotesIn(markdown)).toEqual([{ line: 9, note: 'issue <number>' }]);
  });

  it('the README and docs/*.md hold none, listed as file:line', () => {
    const files = markdownFiles(root);
    expect(files.length).toBeGreaterThan(5);
    const hits = files.flatMap((file) =>
      labNotesIn(readFileSync(file, 'utf8')).map(
        ({ line, note }) => `${relative(root, file)}:${line} ${note}`,
      ),
    );
    expect(hits).toEqual([]);
  });
});

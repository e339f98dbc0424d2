import fc from 'fast-check';
import { zipArchive } from '../../services/invoices/zip-archive';
import { unzip } from '../helpers/unzip';

const AT = new Date('2026-10-31T23:59:59Z');

describe('the evidence pack archive', () => {
  it('holds every file as given, names in UTF-8, whatever the names and bytes (property)', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            name: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 40 }),
            data: fc.uint8Array({ maxLength: 5_000 }).map((a) => Buffer.from(a)),
          }),
          { maxLength: 8 },
        ),
        (entries) => {
          const files = unzip(zipArchive(entries, AT));
          expect(files.map((f) => ({ name: f.name, data: f.data }))).toEqual(entries);
          expect(files.every((f) => f.utf8 && f.method === 8)).toBe(true);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('makes the same bytes for the same files and moment, and stamps the moment in DOS form', () => {
    const entries = [{ name: 'events.csv', data: Buffer.from('event_id\r\ncall-1\r\n') }];
    const a = zipArchive(entries, AT);
    expect(zipArchive(entries, AT).equals(a)).toBe(true);
    // 2026-10-31 23:59:58 (two-second steps): date (46 << 9) | (10 << 5) | 31, time (23 << 11) | (59 << 5) | 29.
    expect(a.readUInt16LE(12)).toBe((46 << 9) | (10 << 5) | 31);
    expect(a.readUInt16LE(10)).toBe((23 << 11) | (59 << 5) | 29);
  });

  it('is an empty archive for no files', () => {
    const zip = zipArchive([], AT);
    expect(zip.length).toBe(22);
    expect(unzip(zip)).toEqual([]);
  });
});

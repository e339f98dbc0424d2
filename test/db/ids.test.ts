import { newId } from '../../db/ids';

const ID = /^cust_[0-9a-hjkmnp-tv-z]{10}[0-9a-hjkmnp-tv-z]{10}$/;

describe('newId', () => {
  it('names what it identifies, then the time, then ten random characters of the alphabet', () => {
    expect(newId('cust', Date.UTC(2026, 10, 27))).toMatch(ID);
  });

  it('sorts by creation time whatever the random part', () => {
    const earlier = newId('cust', 1_700_000_000_000);
    const later = newId('cust', 1_700_000_000_001);
    expect(earlier < later).toBe(true);
  });

  it('never repeats a random part, across many blocks of the random pool', () => {
    const at = Date.UTC(2026, 10, 27);
    const seen = new Set<string>();
    for (let i = 0; i < 20_000; i++) seen.add(newId('evt', at).slice(-10));
    // 50 bits of randomness: a repeat among 20,000 would mean bytes were reused.
    expect(seen.size).toBe(20_000);
  });

  it('uses every character of the alphabet about equally often', () => {
    const counts = new Map<string, number>();
    const n = 20_000;
    for (let i = 0; i < n; i++)
      for (const ch of newId('evt').slice(-10)) counts.set(ch, (counts.get(ch) ?? 0) + 1);
    expect(counts.size).toBe(32);
    const expected = (n * 10) / 32;
    // Each count is binomial with sd ≈ 78 here; 6 sd either side fails only if a character is favoured.
    for (const c of counts.values()) expect(Math.abs(c - expected)).toBeLessThan(470);
  });
});

/**
 * The language tags of an `Accept-Language` header, most preferred first (by weight, then order).
 * Malformed entries are skipped, never refused: the header is a hint. At most the first 1,000 characters
 * and 32 entries are read, so a hostile header costs nothing.
 */
export function preferredLanguages(header: string | undefined): string[] {
  if (!header) return [];
  return header
    .slice(0, 1000)
    .split(',')
    .slice(0, 32)
    .map((part, order) => {
      const [tag = '', ...params] = part.trim().split(';');
      const q = params.map((x) => /^\s*q=([01](?:\.\d{0,3})?)\s*$/.exec(x)).find(Boolean);
      return { tag: tag.trim(), q: q ? Number(q[1]) : 1, order };
    })
    .filter((p) => /^[A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*$/.test(p.tag) && p.q > 0)
    .sort((a, b) => b.q - a.q || a.order - b.order)
    .map((p) => p.tag);
}

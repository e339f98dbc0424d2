import { TOKEN_KINDS, type TokenCounts, type TokenKind } from './model-costs/costs';
import { lineFor, type RateLine, type RatedEvent } from './rate-card';

/**
 * How a rate card prices the token kinds of one event.
 *
 * A gateway reports a model call as one event whose `metadata.tokens` counts its input, cached, output and
 * reasoning tokens, where providers price each kind differently. A card prices a kind with a line matching
 * `direction` on it, as for events reported one per direction. An event with counts and no `direction` of its
 * own is priced **by kind** when at least one kind it counts has such a line (with the event's other
 * dimensions): each kind's count is then units of the line that prices the event with `direction` set to
 * the kind, and its `quantity` is not billed. Otherwise the event's `quantity` is priced on one line, as
 * before, so a card without kind lines bills exactly what it did.
 *
 * Reasoning tokens are priced as output tokens unless a line names `reasoning`, as providers bill them.
 */

/** What one rate card line prices of an event: all of its quantity (`kind` null), or one kind's tokens. */
export interface PricedPart {
  line: RateLine;
  units: number;
  kind: TokenKind | null;
}

/**
 * A stored event's token counts, or null when it carries none. They were checked when it was reported
 * (domain/model-costs/costs.ts tokenCountsProblem), so each is a whole number; anything else, which no
 * report since that check can store, counts as none rather than failing a rollup.
 */
export function tokenCountsOf(metadata: Readonly<Record<string, unknown>>): TokenCounts | null {
  const value = metadata.tokens;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return null;
  const t = value as Record<string, unknown>;
  const count = (v: unknown) => (typeof v === 'number' && Number.isSafeInteger(v) && v > 0 ? v : 0);
  return {
    input: count(t.input),
    cached: count(t.cached),
    output: count(t.output),
    reasoning: count(t.reasoning),
  };
}

/** Whether a line prices one token kind (it matches `direction` on the kind). */
const namesKind = (line: RateLine | null, kind: TokenKind): boolean => line?.match.direction === kind;

/**
 * The line that prices `kind` tokens of an event with no direction of its own (null: free BYOK usage).
 * `probe` is the event with a metadata object of its own, whose direction this sets: a rollup asks this of
 * every kind of every event, so no copy is made per kind.
 */
function kindLine(
  lines: readonly RateLine[],
  probe: RatedEvent & { metadata: Record<string, unknown> },
  kind: TokenKind,
) {
  probe.metadata.direction = kind;
  const line = lineFor(lines, probe);
  if (kind !== 'reasoning' || namesKind(line, 'reasoning')) return line;
  probe.metadata.direction = 'output';
  return lineFor(lines, probe);
}

/** The kinds an event is priced by, kind by kind: null when its quantity is priced whole. */
export function kindsPricedApart(
  lines: readonly RateLine[],
  event: RatedEvent,
): { counts: TokenCounts; lines: Map<TokenKind, RateLine | null> } | null {
  if (typeof event.metadata.direction === 'string') return null;
  const counts = tokenCountsOf(event.metadata);
  if (!counts) return null;
  const probe = { type: event.type, byok: event.byok, metadata: { ...event.metadata } };
  const byKind = new Map<TokenKind, RateLine | null>();
  let apart = false;
  for (const kind of TOKEN_KINDS) {
    if (counts[kind] === 0) continue;
    const line = kindLine(lines, probe, kind);
    byKind.set(kind, line);
    if (namesKind(line, kind) || (kind === 'reasoning' && namesKind(line, 'output'))) apart = true;
  }
  return apart ? { counts, lines: byKind } : null;
}

/**
 * The lines an event's units are billed on: one part of its whole quantity, a part per kind it counts when
 * the card prices them apart, or none (BYOK usage no line prices). An event credits paid some of
 * (`paidAhead`, possible only while its type was the pool's) is priced whole: the credits paid its quantity.
 */
export function pricedParts(
  lines: readonly RateLine[],
  event: RatedEvent & { quantity: number; paidAhead?: number },
): PricedPart[] {
  const apart = (event.paidAhead ?? 0) > 0 ? null : kindsPricedApart(lines, event);
  if (!apart) {
    const line = lineFor(lines, event);
    return line ? [{ line, units: event.quantity, kind: null }] : [];
  }
  const parts: PricedPart[] = [];
  for (const [kind, line] of apart.lines) if (line) parts.push({ line, units: apart.counts[kind], kind });
  return parts;
}

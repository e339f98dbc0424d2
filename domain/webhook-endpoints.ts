/**
 * Outgoing webhooks: the events the engine publishes, and which endpoint addresses it will send to.
 * Pure rules; the delivery side checks the addresses a name resolves to with the same rule (a name that
 * resolves to a private address is refused at delivery, not only when it is saved).
 */

/** Every event type an endpoint may subscribe to (docs/webhooks.md shows a payload of each). */
export const WEBHOOK_EVENT_TYPES = [
  'subscription.created',
  'subscription.updated',
  'subscription.canceled',
  'access.changed',
  'invoice.paid',
  'invoice.payment_failed',
  'charge.refunded',
  'usage.threshold_reached',
  'usage.overage_reached',
  'spend_cap.reached',
  'credits.low',
  'credits.purchased',
  'commitment.trued_up',
  'budget.threshold_reached',
  'prepaid_commit.settled',
] as const;

export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

export interface EndpointUrlPolicy {
  /** Production sends to `https` only. */
  production: boolean;
  /** Loopback, private and link-local addresses too (WEBHOOK_ALLOW_PRIVATE_URLS: a test or an internal network). */
  allowPrivate: boolean;
}

export interface UrlRefusal {
  code: 'webhook_url_invalid' | 'webhook_url_not_https' | 'webhook_url_private';
  message: string;
}

const MAX_URL = 2000;

/**
 * Why the engine will not send to this address, or null. Refused: anything but an absolute http(s) URL
 * without credentials, plain http in production, and a host that names this machine or a private, shared,
 * link-local or otherwise unroutable network (unless allowed): an endpoint must not become a way to reach
 * what stands behind the engine's firewall.
 */
export function endpointUrlRefusal(raw: string, policy: EndpointUrlPolicy): UrlRefusal | null {
  if (raw.length > MAX_URL || /[\s\u0000-\u001f\u007f]/.test(raw))
    return { code: 'webhook_url_invalid', message: 'url: an absolute http(s) URL without spaces' };
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { code: 'webhook_url_invalid', message: 'url: an absolute http(s) URL' };
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    return { code: 'webhook_url_invalid', message: 'url: http or https only' };
  if (url.username || url.password)
    return { code: 'webhook_url_invalid', message: 'url: no user name or password in the address' };
  if (policy.production && url.protocol !== 'https:')
    return { code: 'webhook_url_not_https', message: 'url: https only in production' };
  if (!policy.allowPrivate && hostIsPrivate(url.hostname))
    return {
      code: 'webhook_url_private',
      message: 'url: a loopback, private or link-local address is refused (WEBHOOK_ALLOW_PRIVATE_URLS)',
    };
  return null;
}

/**
 * Whether a URL's host (as the WHATWG parser leaves it: IPv4 normalised, IPv6 in brackets) names this
 * machine or a network nobody outside should reach through us. Names are judged by what they resolve to
 * at delivery (addressIsPrivate), except names that always mean this machine.
 */
export function hostIsPrivate(hostname: string): boolean {
  const host = hostname.toLowerCase().replace(/\.$/, '');
  if (host === 'localhost' || host.endsWith('.localhost') || host.endsWith('.internal') || host === '')
    return true;
  if (host.startsWith('[') && host.endsWith(']')) return addressIsPrivate(host.slice(1, -1));
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(host)) return addressIsPrivate(host);
  return false;
}

/**
 * Whether an IP address (v4 or v6, as text) is loopback, private, shared, link-local or unroutable.
 * IPv6 forms that carry an IPv4 address, or that a host or its network may translate into one, are judged
 * by class: the mapped (::ffff:0:0/96), translated (::ffff:0:0:0/96), NAT64 (64:ff9b::/96) and 6to4
 * (2002::/16) forms by the IPv4 address inside; the deprecated IPv4-compatible ::/96 (with :: and ::1),
 * the rest of 64:ff9b::/32 (local-use NAT64 among it), the IETF block with Teredo (2001::/23, a Teredo
 * address hides its client's IPv4 address) and discard-only 100::/64 always.
 */
export function addressIsPrivate(address: string): boolean {
  const v4 = ipv4Of(address);
  if (v4) return v4Private(v4);
  const v6 = ipv6Of(address);
  if (!v6) return true; // not an address we can judge: refuse rather than guess
  const zeros = (from: number, to: number) => v6.slice(from, to).every((x) => x === 0);
  const embedded = (hi: number, lo: number) => v4Private([hi >> 8, hi & 255, lo >> 8, lo & 255]);
  if (zeros(0, 6)) return true; // ::/96: unspecified, loopback, IPv4-compatible
  if (zeros(0, 5) && v6[5] === 0xffff) return embedded(v6[6]!, v6[7]!); // IPv4-mapped
  if (zeros(0, 4) && v6[4] === 0xffff && v6[5] === 0) return embedded(v6[6]!, v6[7]!); // IPv4-translated
  const [first, second] = [v6[0]!, v6[1]!];
  if (first === 0x64 && second === 0xff9b) return zeros(2, 6) ? embedded(v6[6]!, v6[7]!) : true;
  if (first === 0x2002) return embedded(second, v6[2]!); // 6to4
  return (
    (first === 0x2001 && second < 0x200) || // IETF protocol assignments 2001::/23, Teredo 2001::/32 in it
    (first === 0x0100 && zeros(1, 4)) || // discard-only 100::/64
    (first & 0xfe00) === 0xfc00 || // unique local fc00::/7
    (first & 0xffc0) === 0xfe80 || // link-local fe80::/10
    (first & 0xffc0) === 0xfec0 || // site-local (deprecated) fec0::/10
    (first & 0xff00) === 0xff00 || // multicast
    (first === 0x2001 && second === 0x0db8) // documentation
  );
}

function v4Private([a, b]: number[]): boolean {
  return (
    a === 0 ||
    a === 10 ||
    a === 127 ||
    (a === 100 && b! >= 64 && b! <= 127) || // shared address space (carrier NAT)
    (a === 169 && b === 254) || // link-local, cloud metadata services
    (a === 172 && b! >= 16 && b! <= 31) ||
    (a === 192 && b === 168) ||
    (a === 192 && b === 0) || // IETF protocol assignments and documentation
    (a === 198 && (b === 18 || b === 19)) || // benchmarking
    a! >= 224 // multicast, reserved, broadcast
  );
}

function ipv4Of(s: string): number[] | null {
  if (!/^\d{1,3}(\.\d{1,3}){3}$/.test(s)) return null;
  const parts = s.split('.').map(Number);
  return parts.every((p) => p <= 255) ? parts : null;
}

/** Eight 16-bit groups, or null; accepts `::` and a trailing dotted IPv4 part, drops a zone (`%eth0`). */
function ipv6Of(raw: string): number[] | null {
  const s = raw.split('%')[0]!.toLowerCase();
  if (!/^[0-9a-f:.]+$/.test(s)) return null;
  let tail: number[] = [];
  let body = s;
  const dotted = /(\d{1,3}(\.\d{1,3}){3})$/.exec(s);
  if (dotted) {
    const v4 = ipv4Of(dotted[1]!);
    if (!v4) return null;
    tail = [(v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!];
    body = s.slice(0, -dotted[1]!.length);
    if (body.endsWith(':') && !body.endsWith('::')) body = body.slice(0, -1);
  }
  const halves = body.split('::');
  if (halves.length > 2) return null;
  const groups = (h: string) => (h === '' ? [] : h.split(':'));
  const head = groups(halves[0]!);
  const rest = halves.length === 2 ? groups(halves[1]!) : [];
  if ([...head, ...rest].some((g) => !/^[0-9a-f]{1,4}$/.test(g))) return null;
  const known = head.length + rest.length + tail.length;
  if (halves.length === 1 && known !== 8) return null;
  if (known > (halves.length === 2 ? 7 : 8)) return null;
  const zeros = new Array<number>(8 - known).fill(0);
  return [...head.map((g) => parseInt(g, 16)), ...zeros, ...rest.map((g) => parseInt(g, 16)), ...tail];
}

/** What stands where a part of an address was taken out. */
const REDACTED = '[redacted]';

/** A path segment shown: words of lowercase letters joined by `-`, `_` or `.`, or a version (`v2`). */
const WORDS = /^[a-z]+(?:[-_.][a-z]+)*$/;
const VERSION = /^v\d{1,2}$/;
const MAX_SEGMENT = 32;
const MAX_WORD = 16;

/**
 * Whether a path segment reads as a plain word rather than an id or token: at most 32 characters of
 * lowercase words, each at most 16 letters with a vowel and no more than four consonants in a row
 * (a random lowercase string seldom has both), or a version such as `v2`.
 */
function plainSegment(segment: string): boolean {
  if (VERSION.test(segment)) return true;
  if (segment.length > MAX_SEGMENT || !WORDS.test(segment)) return false;
  return segment
    .split(/[-_.]/)
    .every((word) => word.length <= MAX_WORD && /[aeiouy]/.test(word) && !/[^aeiouy]{5}/.test(word));
}

/**
 * An endpoint's address as it may be shown or stored anywhere but the endpoint's own row (audit entries
 * and their export, logs, mail): the scheme, host and port; the path up to its first segment that is not a
 * plain word, the rest replaced by one `[redacted]` (a receiver's secret often sits in the path, as in
 * Slack's `/services/T…/B…/<token>`); `?[redacted]` for any query; no user name, password or fragment.
 * Anything that is not an http(s) URL is `[redacted]` whole. Applying it twice gives the same text.
 */
export function redactedEndpointUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return REDACTED;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return REDACTED;
  const segments = url.pathname.slice(1).split('/');
  const trailingSlash = segments.length > 1 && segments[segments.length - 1] === '';
  if (trailingSlash) segments.pop();
  const shown = segments.findIndex((s) => !plainSegment(s));
  const path =
    segments.length === 1 && segments[0] === ''
      ? '/'
      : shown === -1
        ? `/${segments.join('/')}${trailingSlash ? '/' : ''}`
        : `/${[...segments.slice(0, shown), REDACTED].join('/')}`;
  return `${url.protocol}//${url.host}${path}${url.search ? `?${REDACTED}` : ''}`;
}

/**
 * An endpoint's audit image (before or after) with its address redacted, for entries written before
 * addresses were redacted when recorded; anything else as it is.
 */
export function redactedEndpointImage(image: unknown): unknown {
  if (image === null || typeof image !== 'object' || !('url' in image)) return image;
  const { url } = image as { url: unknown };
  return { ...image, url: typeof url === 'string' ? redactedEndpointUrl(url) : REDACTED };
}

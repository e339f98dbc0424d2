/**
 * Where Stripe may send a customer back to after Checkout or the billing portal: a page on one of our own
 * origins. Stripe shows its hosted page under our merchant name, so a return URL elsewhere would hand a
 * phishing site a genuine-looking trip through our checkout.
 *
 * The URL is compared by its parsed origin (scheme, host, port), never by a prefix of its text. What two
 * parsers could read differently is refused outright rather than normalised: Stripe, the browser and this
 * check must all see the same host. That is anything but printable ASCII (control characters, spaces,
 * Unicode lookalikes and fullwidth letters; an internationalised host must be written in punycode), a
 * backslash (which browsers read as a slash), userinfo (`https://ours@evil.com`), percent-encoding in the
 * host, and anything without an explicit `http://` or `https://` (`//evil.com`, `javascript:`, `data:`).
 */
export function returnUrlAllowed(url: string, allowedOrigins: readonly string[]): boolean {
  if (!/^[\x21-\x7e]+$/.test(url) || url.includes('\\')) return false;
  const authority = /^https?:\/\/([^/?#]*)/i.exec(url)?.[1];
  if (authority === undefined || /[@%]/.test(authority)) return false;
  let origin: string;
  try {
    origin = new URL(url).origin;
  } catch {
    return false;
  }
  return allowedOrigins.includes(origin);
}

/** The origins a return URL may be on: the engine's own address, then any an operator allowed. */
export function returnUrlOrigins(ownBaseUrl: string, configured: readonly string[]): string[] {
  return [new URL(ownBaseUrl).origin, ...configured];
}

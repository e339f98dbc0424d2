import { returnUrlAllowed, returnUrlOrigins } from '../../domain/return-urls';

const ours = ['https://app.example.com', 'http://localhost:5173'];

describe('where Stripe may send a customer back to', () => {
  it.each([
    'https://app.example.com',
    'https://app.example.com/',
    'https://app.example.com/billing/success?session_id={CHECKOUT_SESSION_ID}',
    'https://app.example.com:443/plans',
    'https://APP.Example.COM/plans',
    'HTTPS://app.example.com/plans',
    'https://app.example.com/a%20b?x=%2F#top',
    'http://localhost:5173/billing',
  ])('takes %s, on one of our origins', (url) => {
    expect(returnUrlAllowed(url, ours)).toBe(true);
  });

  it.each([
    // Another host that starts or ends like ours, or hides behind userinfo.
    'https://app.example.com.evil.com/',
    'https://evil.com/https://app.example.com',
    'https://evil.com?https://app.example.com',
    'https://app.example.com@evil.com/',
    'https://app.example.com:443@evil.com/',
    'https://user:pass@app.example.com/',
    'https://evil.com@app.example.com/',
    'https://evil-app.example.com/',
    'https://example.com/',
    // No scheme, or one Stripe must never follow.
    '//evil.com/',
    '/billing/success',
    'app.example.com/plans',
    'javascript:alert(document.domain)',
    'JavaScript://app.example.com/%0aalert(1)',
    'data:text/html,<script>alert(1)</script>',
    'ftp://app.example.com/',
    'https:app.example.com/plans',
    'https:/app.example.com/plans',
    // Same host, other origin.
    'http://app.example.com/plans',
    'https://app.example.com:8443/plans',
    'https://app.example.com./plans',
    'http://localhost:5174/billing',
    'https://localhost:5173/billing',
    // Backslashes, which browsers read as slashes.
    'https:\\\\evil.com',
    'https:/\\evil.com',
    'https://app.example.com\\@evil.com/',
    'https://evil.com\\.app.example.com/',
    // Lookalikes: Cyrillic а, fullwidth letters and dot, punycode of another name, percent-encoded host.
    'https://аpp.example.com/',
    'https://ａｐｐ.example.com/',
    'https://app。example.com/',
    'https://xn--pp-8kc.example.com/',
    'https://app%2eexample.com/',
    'https://%61pp.example.com/',
    // Control characters and spaces, which parsers strip or split on differently.
    'https://app.exa\tmple.com/',
    'https://app.example.com/\nLocation: https://evil.com',
    'https://app.example.com/\r',
    ' https://app.example.com/',
    'https://app.example.com /',
    '\u0000https://app.example.com/',
    'https://app.example.com/\u007f',
    'https://app.example.com/\u200b',
    'https://app.example.com\u2028/',
    '',
    'https://',
    'not a url',
  ])('refuses %j', (url) => {
    expect(returnUrlAllowed(url, ours)).toBe(false);
  });

  it("has the engine's own origin first, whatever path its base URL has, then the operator's", () => {
    expect(returnUrlOrigins('https://billing.example.com/app/', ['https://app.example.com'])).toEqual([
      'https://billing.example.com',
      'https://app.example.com',
    ]);
  });
});

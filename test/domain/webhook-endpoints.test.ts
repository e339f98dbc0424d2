import {
  addressIsPrivate,
  endpointUrlRefusal,
  redactedEndpointImage,
  redactedEndpointUrl,
} from '../../domain/webhook-endpoints';

const prod = { production: true, allowPrivate: false };
const dev = { production: false, allowPrivate: false };

describe('which endpoint addresses the engine sends webhooks to', () => {
  it.each([
    ['a public https URL', 'https://hooks.example.com/billing', prod, null],
    ['a public http URL outside production', 'http://hooks.example.com/billing', dev, null],
    ['plain http in production', 'http://hooks.example.com/billing', prod, 'webhook_url_not_https'],
    ['another scheme', 'ftp://hooks.example.com/', dev, 'webhook_url_invalid'],
    ['a relative address', '/billing', dev, 'webhook_url_invalid'],
    ['credentials in the address', 'https://user:pw@hooks.example.com/', prod, 'webhook_url_invalid'],
    ['a control character', 'https://hooks.example.com/\u0000', prod, 'webhook_url_invalid'],
    ['a space', 'https://hooks.example.com/a b', prod, 'webhook_url_invalid'],
    ['a huge address', `https://hooks.example.com/${'a'.repeat(2100)}`, prod, 'webhook_url_invalid'],
    ['localhost', 'https://localhost/hook', prod, 'webhook_url_private'],
    ['a name under localhost', 'https://api.localhost/hook', prod, 'webhook_url_private'],
    ['localhost with a trailing dot', 'https://LOCALHOST./hook', prod, 'webhook_url_private'],
    ['loopback', 'https://127.0.0.1/hook', prod, 'webhook_url_private'],
    ['loopback written in hex', 'https://0x7f.0.0.1/hook', prod, 'webhook_url_private'],
    ['loopback as one number', 'https://2130706433/hook', prod, 'webhook_url_private'],
    ['loopback in octal', 'https://0177.0.0.1/hook', prod, 'webhook_url_private'],
    ['the cloud metadata address', 'https://169.254.169.254/latest/meta-data', prod, 'webhook_url_private'],
    ['a 10/8 address', 'https://10.1.2.3/', prod, 'webhook_url_private'],
    ['a 172.16/12 address', 'https://172.31.255.1/', prod, 'webhook_url_private'],
    ['a 192.168/16 address', 'https://192.168.0.10:8443/', prod, 'webhook_url_private'],
    ['shared address space', 'https://100.64.0.1/', prod, 'webhook_url_private'],
    ['0.0.0.0', 'https://0.0.0.0/', prod, 'webhook_url_private'],
    ['IPv6 loopback', 'https://[::1]/hook', prod, 'webhook_url_private'],
    ['IPv6 unspecified', 'https://[::]/hook', prod, 'webhook_url_private'],
    ['IPv4 loopback mapped into IPv6', 'https://[::ffff:127.0.0.1]/hook', prod, 'webhook_url_private'],
    ['IPv6 unique local', 'https://[fd12:3456::1]/', prod, 'webhook_url_private'],
    ['IPv6 link-local', 'https://[fe80::1]/', prod, 'webhook_url_private'],
    ['a public IPv4 address', 'https://93.184.216.34/hook', prod, null],
    ['a public IPv6 address', 'https://[2606:4700::1111]/hook', prod, null],
    ['a public IPv4 mapped into IPv6', 'https://[::ffff:93.184.216.34]/', prod, null],
    // IPv4 spelled every way the WHATWG parser reads as an address (it normalises them before the rule).
    ['loopback as one hex number', 'https://0x7f000001/hook', prod, 'webhook_url_private'],
    ['loopback with hex and a short form', 'https://0x7f.1/hook', prod, 'webhook_url_private'],
    ['loopback as one octal number', 'https://017700000001/hook', prod, 'webhook_url_private'],
    ['loopback in its short form', 'https://127.1/hook', prod, 'webhook_url_private'],
    ['loopback with a trailing dot', 'https://127.0.0.1./hook', prod, 'webhook_url_private'],
    ['0 for 0.0.0.0', 'https://0/hook', prod, 'webhook_url_private'],
    // IPv6 forms that carry an IPv4 address, or that a host may translate to one, refused by class.
    ['IPv4-compatible loopback', 'https://[::127.0.0.1]/hook', prod, 'webhook_url_private'],
    ['IPv4-compatible loopback in hex', 'https://[::7f00:1]/hook', prod, 'webhook_url_private'],
    ['IPv4-compatible public address', 'https://[::93.184.216.34]/hook', prod, 'webhook_url_private'],
    ['IPv4-mapped loopback in hex', 'https://[::ffff:7f00:1]/hook', prod, 'webhook_url_private'],
    ['IPv4-mapped metadata address', 'https://[0:0:0:0:0:ffff:a9fe:a9fe]/', prod, 'webhook_url_private'],
    ['IPv4-translated loopback', 'https://[::ffff:0:127.0.0.1]/hook', prod, 'webhook_url_private'],
    ['NAT64 of loopback', 'https://[64:ff9b::127.0.0.1]/hook', prod, 'webhook_url_private'],
    ['NAT64 of a private address', 'https://[64:ff9b::a00:1]/hook', prod, 'webhook_url_private'],
    ['local-use NAT64', 'https://[64:ff9b:1::808:808]/hook', prod, 'webhook_url_private'],
    ['6to4 of loopback', 'https://[2002:7f00:1::]/hook', prod, 'webhook_url_private'],
    ['6to4 of a private address', 'https://[2002:c0a8:101::1]/hook', prod, 'webhook_url_private'],
    ['Teredo', 'https://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/hook', prod, 'webhook_url_private'],
    ['Teredo, shortest form', 'https://[2001::1]/hook', prod, 'webhook_url_private'],
    ['the unspecified address in full', 'https://[0:0:0:0:0:0:0:0]/hook', prod, 'webhook_url_private'],
    ['NAT64 of a public address', 'https://[64:ff9b::93.184.216.34]/hook', prod, null],
    ['6to4 of a public address', 'https://[2002:5db8:d822::1]/hook', prod, null],
    [
      'loopback when private addresses are allowed',
      'http://127.0.0.1:9000/hook',
      { production: false, allowPrivate: true },
      null,
    ],
  ])('%s', (_, url, policy, code) => {
    expect(endpointUrlRefusal(url, policy)?.code ?? null).toBe(code);
  });

  it.each([
    ['127.0.0.1', true],
    ['127.255.255.254', true],
    ['172.15.0.1', false],
    ['172.32.0.1', false],
    ['100.128.0.1', false],
    ['8.8.8.8', false],
    ['224.0.0.1', true],
    ['255.255.255.255', true],
    ['::1', true],
    ['::ffff:10.0.0.1', true],
    ['64:ff9b::7f00:1', true],
    ['64:ff9b::808:808', false],
    ['2001:db8::1', true],
    ['ff02::1', true],
    ['fe80::1%eth0', true],
    ['2a00:1450:4001:81d::200e', false],
    ['not an address', true],
    ['1:2:3:4:5:6:7:8:9', true],
    ['::7f00:1', true],
    ['::127.0.0.1', true],
    ['::8.8.8.8', true],
    ['::ffff:7f00:1', true],
    ['::ffff:0:7f00:1', true],
    ['::ffff:0:808:808', false],
    ['64:ff9b::127.0.0.1', true],
    ['64:ff9b:1::1', true],
    ['2002:a00:1::1', true],
    ['2002:808:808::1', false],
    ['2001:0:4136:e378:8000:63bf:3fff:fdd2', true],
    ['2001::', true],
    ['2001:4860:4860::8888', false],
    ['100::1', true],
    ['0:0:0:0:0:0:0:0', true],
  ])('judges the resolved address %s private: %s', (address, privateAddress) => {
    expect(addressIsPrivate(address)).toBe(privateAddress);
  });
});

describe('how an endpoint address is shown anywhere but on the endpoint itself', () => {
  it.each([
    ['a plain address, whole', 'https://hooks.example.com/billing', 'https://hooks.example.com/billing'],
    [
      'words and a version',
      'https://erp.example.com/api/v2/billing-events/',
      'https://erp.example.com/api/v2/billing-events/',
    ],
    ['the root', 'https://hooks.example.com', 'https://hooks.example.com/'],
    ['the port', 'http://hooks.example.com:8443/in', 'http://hooks.example.com:8443/in'],
    ['an IPv6 host', 'https://[2606:4700::1111]:8443/in', 'https://[2606:4700::1111]:8443/in'],
    [
      'a Slack address without its team, hook and token',
      'https://hooks.slack.com/services/T0AAAAAAA/B0BBBBBBB/XXXXXXXXXXXXXXXXXXXXXXXX',
      'https://hooks.slack.com/services/[redacted]',
    ],
    [
      'a Discord address without its id and token',
      'https://discord.com/api/webhooks/123456789012345678/AbCdEf-GhIjKl_MnOp',
      'https://discord.com/api/webhooks/[redacted]',
    ],
    [
      'a lowercase token after an id',
      'https://hooks.zapier.com/hooks/catch/1234567/abcdefg/',
      'https://hooks.zapier.com/hooks/catch/[redacted]',
    ],
    ['words after a token', 'https://h.example.com/in/Zk3x9Q/events', 'https://h.example.com/in/[redacted]'],
    [
      'a token first',
      'https://h.example.com/sk_live_4eC39HqLyjWDarjtT1zdp7dc',
      'https://h.example.com/[redacted]',
    ],
    ['a lowercase random token', 'https://h.example.com/qzxkwjvbnmtrpl', 'https://h.example.com/[redacted]'],
    [
      'a word too long to be one',
      `https://h.example.com/${'ab'.repeat(9)}`,
      'https://h.example.com/[redacted]',
    ],
    [
      'a segment too long',
      `https://h.example.com/${'bill-'.repeat(7)}bill`,
      'https://h.example.com/[redacted]',
    ],
    [
      'a UUID',
      'https://h.example.com/hooks/550e8400-e29b-41d4-a716-446655440000',
      'https://h.example.com/hooks/[redacted]',
    ],
    ['digits', 'https://h.example.com/hooks/12345', 'https://h.example.com/hooks/[redacted]'],
    ['capitals', 'https://h.example.com/Webhooks', 'https://h.example.com/[redacted]'],
    ['an escaped character', 'https://h.example.com/a%20b', 'https://h.example.com/[redacted]'],
    ['an empty segment', 'https://h.example.com//hook', 'https://h.example.com/[redacted]'],
    [
      'a dot segment, resolved first',
      'https://h.example.com/in/../%2e%2e/hook',
      'https://h.example.com/hook',
    ],
    ['the query', 'https://h.example.com/in?token=abc&x=1', 'https://h.example.com/in?[redacted]'],
    ['an empty query', 'https://h.example.com/in?', 'https://h.example.com/in'],
    ['the fragment', 'https://h.example.com/in#secret', 'https://h.example.com/in'],
    ['a user name and password', 'https://user:pw@h.example.com/in', 'https://h.example.com/in'],
    [
      'everything at once',
      'https://u:p@hooks.slack.com:444/services/T1/B2/x?y=z#w',
      'https://hooks.slack.com:444/services/[redacted]?[redacted]',
    ],
    ['an address that does not parse', 'not a url https://x/secret', '[redacted]'],
    ['another scheme', 'ftp://h.example.com/secret', '[redacted]'],
  ])('%s', (_, url, shown) => {
    expect(redactedEndpointUrl(url)).toBe(shown);
  });

  it('shows a shown address the same again', () => {
    for (const url of [
      'https://hooks.slack.com/services/T0AAAAAAA/B0BBBBBBB/XXXXXXXX?x=1',
      'https://h.example.com/billing',
      'nonsense',
    ])
      expect(redactedEndpointUrl(redactedEndpointUrl(url))).toBe(redactedEndpointUrl(url));
  });

  it('shows an audit image of an endpoint with its address redacted, and anything else as it is', () => {
    const image = { url: 'https://hooks.slack.com/services/T1/B2/SECRET', enabled: true };
    expect(redactedEndpointImage(image)).toEqual({
      url: 'https://hooks.slack.com/services/[redacted]',
      enabled: true,
    });
    expect(image.url).toContain('SECRET');
    expect(redactedEndpointImage(null)).toBeNull();
    expect(redactedEndpointImage({ enabled: false })).toEqual({ enabled: false });
    expect(redactedEndpointImage({ url: 12 })).toEqual({ url: '[redacted]' });
  });
});

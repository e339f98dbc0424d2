import { addressIsPrivate, endpointUrlRefusal } from '../../domain/webhook-endpoints';

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
  ])('judges the resolved address %s private: %s', (address, privateAddress) => {
    expect(addressIsPrivate(address)).toBe(privateAddress);
  });
});

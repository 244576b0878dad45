import { describe, expect, it } from 'vitest';
import { checkEndpointUrl, ResolveHost, UrlPolicy } from './url-policy';

const open: UrlPolicy = { allowPrivateTargets: true, allowInsecureHttp: false, production: false };
const strict: UrlPolicy = { allowPrivateTargets: false, allowInsecureHttp: false, production: true };
const strictHttp: UrlPolicy = { ...strict, allowInsecureHttp: true };

/** A fake resolver: no test here sends a DNS query for anything but localhost. */
function resolver(records: Record<string, string[]>): ResolveHost {
  return async (host) => {
    const found = records[host];
    if (!found) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
    return found;
  };
}

const dns = resolver({
  'hooks.example.com': ['93.184.216.34', '2606:2800:220:1:248:1893:25c8:1946'],
  'internal.example.com': ['10.0.0.5'],
  'mixed.example.com': ['93.184.216.34', '127.0.0.1'],
  'metadata.example.com': ['169.254.169.254'],
  'mapped.example.com': ['::ffff:127.0.0.1'],
  'v6local.example.com': ['fd00::1'],
});

describe('checkEndpointUrl', () => {
  it.each([
    ['https://hooks.example.com/webhooks', strict],
    ['https://hooks.example.com:8443/a?b=c#frag', strict],
    ['http://hooks.example.com/webhooks', strictHttp],
    ['http://hooks.example.com/webhooks', { ...open, allowPrivateTargets: false }],
    ['http://127.0.0.1:4000/hook', open],
    ['http://localhost:4000/hook', open],
    ['http://[::1]:4000/hook', open],
    ['https://8.8.8.8/hook', strict],
    ['https://[2606:4700:4700::1111]/hook', strict],
    ['https://not-yet-registered.example.com/hook', strict], // checked again at connect time
    ['https://hooks.example.com\\@127.0.0.1/x', strict], // WHATWG: the backslash starts the path
    [`https://hooks.example.com/${'a'.repeat(2048 - 'https://hooks.example.com/'.length)}`, strict],
  ])('accepts %s', async (url, policy) => {
    expect(await checkEndpointUrl(url, policy, dns)).toBeNull();
  });

  it.each([
    ['not a url', open, /absolute http or https URL/],
    ['/relative/path', open, /absolute http or https URL/],
    ['ftp://hooks.example.com/x', open, /http or https/],
    ['file:///etc/passwd', open, /http or https/],
    ['javascript:alert(1)', open, /http or https/],
    ['http://hooks.example.com/x', strict, /must use https/],
    ['https://user:pass@hooks.example.com/x', strict, /credentials/],
    ['https://user@hooks.example.com/x', open, /credentials/],
    [`https://hooks.example.com/${'a'.repeat(2048)}`, strict, /at most 2048/],
    ['https://127.0.0.1/x', strict, /loopback/],
    ['https://localhost/x', strict, /loopback/],
    ['https://localhost./x', strict, /loopback/],
    ['https://LOCALHOST/x', strict, /loopback/],
    ['https://app.localhost/x', strict, /loopback/],
    ['https://2130706433/x', strict, /loopback/],
    ['https://0x7f000001/x', strict, /loopback/],
    ['https://0177.0.0.1/x', strict, /loopback/],
    ['https://127.1/x', strict, /loopback/],
    ['https://[::1]/x', strict, /loopback/],
    ['https://[::ffff:127.0.0.1]/x', strict, /loopback/],
    ['https://[::ffff:7f00:1]/x', strict, /loopback/],
    ['https://[64:ff9b::a00:1]/x', strict, /private/],
    ['https://0.0.0.0/x', strict, /unspecified/],
    ['https://0/x', strict, /unspecified/],
    ['https://10.0.0.1/x', strict, /private/],
    ['https://192.168.1.1/x', strict, /private/],
    ['https://172.16.0.1/x', strict, /private/],
    ['https://100.64.0.1/x', strict, /carrier-grade NAT/],
    ['https://169.254.169.254/latest/meta-data', strict, /link-local/],
    ['https://[fe80::1]/x', strict, /link-local/],
    ['https://[fd00::1]/x', strict, /unique-local/],
    ['https://224.0.0.1/x', strict, /multicast/],
    ['https://255.255.255.255/x', strict, /broadcast/],
    ['https://192.0.2.1/x', strict, /documentation/],
    ['https://198.18.0.1/x', strict, /benchmarking/],
    [
      'https://internal.example.com/x',
      strict,
      /internal\.example\.com resolves to 10\.0\.0\.5, which is a private/,
    ],
    ['https://mixed.example.com/x', strict, /resolves to 127\.0\.0\.1/],
    ['https://metadata.example.com/x', strict, /link-local/],
    ['https://mapped.example.com/x', strict, /loopback/],
    ['https://v6local.example.com/x', strict, /unique-local/],
    ['https://0X7F000001/x', strict, /loopback/],
    ['https://0x7f000001./x', strict, /loopback/],
    ['https://2130706433./x', strict, /loopback/],
    ['https://017700000001/x', strict, /loopback/],
    ['https://0x7f.0x0.0x0.0x1/x', strict, /loopback/],
    ['https://127.000.000.001/x', strict, /loopback/],
    ['https://127.0.0.1.:443/x', strict, /loopback/],
    ['https://\uff11\uff12\uff17.\uff10.\uff10.\uff11/x', strict, /loopback/],
    ['https://\u24db\u24de\u24d2\u24d0\u24db\u24d7\u24de\u24e2\u24e3/x', strict, /loopback/],
    ['https://[0:0:0:0:0:0:0:1]/x', strict, /loopback/],
    ['https://[::]/x', strict, /unspecified/],
    ['https://[::127.0.0.1]/x', strict, /loopback/],
    ['https://[::ffff:a9fe:a9fe]/x', strict, /link-local/],
    ['https://[::ffff:0:7f00:1]/x', strict, /reserved/],
    ['https://[2002:7f00:1::1]/x', strict, /loopback/],
    ['https://0251.0376.0251.0376/latest/meta-data', strict, /link-local/],
    ['https://2852039166/latest/meta-data', strict, /link-local/],
    ['https://[fe80::1%25eth0]/x', strict, /absolute http or https URL|valid host|link-local/],
    ['https://user:@hooks.example.com/x', strict, /credentials/],
    ['https://:secret@hooks.example.com/x', strict, /credentials/],
    ['HTTP://hooks.example.com/x', strict, /must use https/],
  ])('refuses %s', async (url, policy, message) => {
    const result = await checkEndpointUrl(url, policy, dns);
    expect(result).toMatch(message);
  });

  it('names the setting that allows private targets', async () => {
    expect(await checkEndpointUrl('https://10.0.0.1/', strict, dns)).toMatch(
      /WEBHOOKS_ALLOW_PRIVATE_TARGETS=true/,
    );
  });

  it('resolves localhost with the real resolver and refuses it', async () => {
    expect(await checkEndpointUrl('https://localhost:9/x', strict)).toMatch(/loopback/);
  });

  it('never resolves when private targets are allowed', async () => {
    const failing: ResolveHost = async () => {
      throw new Error('should not resolve');
    };
    expect(await checkEndpointUrl('https://anything.example.com/', open, failing)).toBeNull();
  });
});

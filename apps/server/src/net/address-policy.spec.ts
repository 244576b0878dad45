import { describe, expect, it } from 'vitest';
import {
  AddressClass,
  classifyAddress,
  classifyHostWithoutDns,
  isPublicAddress,
  normalizeHost,
  parseIPv6,
} from './address-policy';

describe('classifyAddress', () => {
  const table: Array<[string, AddressClass]> = [
    // IPv4 public
    ['8.8.8.8', 'public'],
    ['1.1.1.1', 'public'],
    ['93.184.216.34', 'public'],
    ['100.63.255.255', 'public'],
    ['100.128.0.0', 'public'],
    ['172.15.255.255', 'public'],
    ['172.32.0.0', 'public'],
    ['192.167.255.255', 'public'],
    ['192.169.0.0', 'public'],
    ['198.17.255.255', 'public'],
    ['198.20.0.0', 'public'],
    ['223.255.255.255', 'public'],
    ['11.0.0.1', 'public'],
    ['126.255.255.255', 'public'],
    ['128.0.0.0', 'public'],
    // IPv4 special
    ['0.0.0.0', 'unspecified'],
    ['0.1.2.3', 'this_network'],
    ['0.255.255.255', 'this_network'],
    ['10.0.0.0', 'private'],
    ['10.255.255.255', 'private'],
    ['100.64.0.0', 'cgnat'],
    ['100.127.255.255', 'cgnat'],
    ['127.0.0.1', 'loopback'],
    ['127.255.255.254', 'loopback'],
    ['127.1.2.3', 'loopback'],
    ['169.254.169.254', 'link_local'],
    ['169.254.0.1', 'link_local'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.0.0.8', 'reserved'],
    ['192.0.2.1', 'documentation'],
    ['192.31.196.1', 'reserved'],
    ['192.52.193.1', 'reserved'],
    ['192.88.99.1', 'reserved'],
    ['192.168.0.1', 'private'],
    ['192.168.255.255', 'private'],
    ['192.175.48.1', 'reserved'],
    ['198.18.0.1', 'benchmark'],
    ['198.19.255.255', 'benchmark'],
    ['198.51.100.7', 'documentation'],
    ['203.0.113.200', 'documentation'],
    ['224.0.0.1', 'multicast'],
    ['239.255.255.250', 'multicast'],
    ['240.0.0.1', 'reserved'],
    ['254.255.255.255', 'reserved'],
    ['255.255.255.255', 'broadcast'],
    // IPv6 public
    ['2606:4700:4700::1111', 'public'],
    ['2001:4860:4860::8888', 'public'],
    ['2a00:1450:4001:80b::200e', 'public'],
    ['[2606:4700:4700::1111]', 'public'],
    // IPv6 special
    ['::', 'unspecified'],
    ['::1', 'loopback'],
    ['[::1]', 'loopback'],
    ['0:0:0:0:0:0:0:1', 'loopback'],
    ['fe80::1', 'link_local'],
    ['fe80::1%eth0', 'link_local'],
    ['febf::1', 'link_local'],
    ['fec0::1', 'private'],
    ['fc00::1', 'unique_local'],
    ['fd12:3456:789a::1', 'unique_local'],
    ['ff02::1', 'multicast'],
    ['ff05::1:3', 'multicast'],
    ['2001:db8::1', 'documentation'],
    ['3fff::1', 'documentation'],
    ['2001:2::1', 'benchmark'],
    ['2001:10::1', 'reserved'],
    ['2001:20::1', 'reserved'],
    ['100::1', 'reserved'],
    ['5f00::1', 'reserved'],
    ['64:ff9b:1::1', 'reserved'],
    ['4000::1', 'reserved'],
    ['1::1', 'reserved'],
    // IPv4 embedded in IPv6: judged by the IPv4 address they reach
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['::FFFF:7F00:0001', 'loopback'],
    ['[::ffff:127.0.0.1]', 'loopback'],
    ['::ffff:10.0.0.1', 'private'],
    ['::ffff:169.254.169.254', 'link_local'],
    ['::ffff:8.8.8.8', 'public'],
    ['::ffff:0.0.0.0', 'unspecified'],
    ['::127.0.0.1', 'loopback'],
    ['::7f00:1', 'loopback'],
    ['::10.1.2.3', 'private'],
    ['::8.8.8.8', 'public'],
    ['64:ff9b::127.0.0.1', 'loopback'],
    ['64:ff9b::7f00:1', 'loopback'],
    ['64:ff9b::a9fe:a9fe', 'link_local'],
    ['64:ff9b::192.168.1.1', 'private'],
    ['64:ff9b::808:808', 'public'],
    ['2002:7f00:1::1', 'loopback'], // 6to4 of 127.0.0.1
    ['2002:a00:1::', 'private'], // 6to4 of 10.0.0.1
    ['2002:c0a8:101::1', 'private'], // 6to4 of 192.168.1.1
    ['2002:808:808::1', 'public'], // 6to4 of 8.8.8.8
    ['2001:0:4136:e378:8000:63bf:80ff:fffe', 'loopback'], // Teredo client 127.0.0.1
    ['2001:0:4136:e378:8000:63bf:f5ff:fffe', 'private'], // Teredo client 10.0.0.1
    ['2001:0:4136:e378:8000:63bf:f7f7:f7f7', 'public'], // Teredo client 8.8.8.8 via a public server
    ['2001:0:4136:e378:8000:63bf:3fff:fdd2', 'documentation'], // Teredo client 192.0.2.45
    ['2001:0:7f00:1:8000:63bf:f7f7:f7f7', 'loopback'], // Teredo server 127.0.0.1, client public 8.8.8.8
    // not addresses
    ['', 'invalid'],
    ['localhost', 'invalid'],
    ['example.com', 'invalid'],
    ['256.0.0.1', 'invalid'],
    ['1.2.3', 'invalid'],
    ['2130706433', 'invalid'],
    ['::g', 'invalid'],
    ['1:2:3:4:5:6:7:8:9', 'invalid'],
  ];

  it.each(table)('%s is %s', (ip, expected) => {
    expect(classifyAddress(ip)).toBe(expected);
    expect(isPublicAddress(ip)).toBe(expected === 'public');
  });
});

describe('parseIPv6', () => {
  it.each([
    ['::', [0, 0, 0, 0, 0, 0, 0, 0]],
    ['::1', [0, 0, 0, 0, 0, 0, 0, 1]],
    ['1::', [1, 0, 0, 0, 0, 0, 0, 0]],
    ['1:2:3:4:5:6:7:8', [1, 2, 3, 4, 5, 6, 7, 8]],
    ['::ffff:1.2.3.4', [0, 0, 0, 0, 0, 0xffff, 0x102, 0x304]],
    ['fe80::1%lo0', [0xfe80, 0, 0, 0, 0, 0, 0, 1]],
  ])('%s', (text, groups) => {
    expect(parseIPv6(text)).toEqual(groups);
  });

  it('rejects non-IPv6', () => {
    expect(parseIPv6('1.2.3.4')).toBeNull();
    expect(parseIPv6('1:2')).toBeNull();
  });
});

describe('normalizeHost and classifyHostWithoutDns', () => {
  const table: Array<[string, string | null, AddressClass | null]> = [
    // spellings the WHATWG URL parser turns into 127.0.0.1
    ['2130706433', '127.0.0.1', 'loopback'],
    ['0x7f000001', '127.0.0.1', 'loopback'],
    ['0x7F000001', '127.0.0.1', 'loopback'],
    ['0177.0.0.1', '127.0.0.1', 'loopback'],
    ['0177.0000.0000.0001', '127.0.0.1', 'loopback'],
    ['127.1', '127.0.0.1', 'loopback'],
    ['127.0.1', '127.0.0.1', 'loopback'],
    ['0x7f.1', '127.0.0.1', 'loopback'],
    ['127.0.0.1.', '127.0.0.1', 'loopback'],
    ['%31%32%37.0.0.1', '127.0.0.1', 'loopback'],
    ['0', '0.0.0.0', 'unspecified'],
    ['0x0', '0.0.0.0', 'unspecified'],
    ['3232235777', '192.168.1.1', 'private'],
    ['0xa9fea9fe', '169.254.169.254', 'link_local'],
    ['10.1', '10.0.0.1', 'private'],
    ['134744072', '8.8.8.8', 'public'],
    // more spellings of loopback and link-local: mixed radix, short forms, trailing dots, IDNA
    ['0X7F000001', '127.0.0.1', 'loopback'],
    ['0x7f000001.', '127.0.0.1', 'loopback'],
    ['2130706433.', '127.0.0.1', 'loopback'],
    ['017700000001', '127.0.0.1', 'loopback'],
    ['0177.1', '127.0.0.1', 'loopback'],
    ['0x7f.0x0.0x0.0x1', '127.0.0.1', 'loopback'],
    ['0x7f.0.0.1', '127.0.0.1', 'loopback'],
    ['127.000.000.001', '127.0.0.1', 'loopback'],
    ['127.0.0.01', '127.0.0.1', 'loopback'],
    ['\uff11\uff12\uff17.\uff10.\uff10.\uff11', '127.0.0.1', 'loopback'], // full-width digits
    ['127\u30020\u30020\u30021', '127.0.0.1', 'loopback'], // ideographic full stops
    ['\u24db\u24de\u24d2\u24d0\u24db\u24d7\u24de\u24e2\u24e3', 'localhost', 'loopback'], // circled letters
    ['LocalHost..', 'localhost', 'loopback'],
    ['127.0.0.1..', '127.0.0.1', 'loopback'],
    ['0251.0376.0251.0376', '169.254.169.254', 'link_local'],
    ['169.254.43518', '169.254.169.254', 'link_local'],
    ['2852039166', '169.254.169.254', 'link_local'],
    ['0xa.0x0.0x0.0x1', '10.0.0.1', 'private'],
    ['[0:0:0:0:0:0:0:1]', '0:0:0:0:0:0:0:1', 'loopback'],
    ['[0000::0001]', '0:0:0:0:0:0:0:1', 'loopback'],
    ['[::]', '0:0:0:0:0:0:0:0', 'unspecified'],
    ['[::ffff:a9fe:a9fe]', '0:0:0:0:0:ffff:a9fe:a9fe', 'link_local'],
    ['[::ffff:0:7f00:1]', '0:0:0:0:ffff:0:7f00:1', 'reserved'], // IPv4-translated (SIIT): not public
    ['[::127.0.0.1]', '0:0:0:0:0:0:7f00:1', 'loopback'],
    ['[64:ff9b::127.0.0.1]', '64:ff9b:0:0:0:0:7f00:1', 'loopback'],
    // names that always mean this machine
    ['localhost', 'localhost', 'loopback'],
    ['LOCALHOST', 'localhost', 'loopback'],
    ['localhost.', 'localhost', 'loopback'],
    ['api.localhost', 'api.localhost', 'loopback'],
    ['api.localhost.', 'api.localhost', 'loopback'],
    // IPv6 spellings
    ['[::1]', '0:0:0:0:0:0:0:1', 'loopback'],
    ['::1', '0:0:0:0:0:0:0:1', 'loopback'],
    ['[::ffff:127.0.0.1]', '0:0:0:0:0:ffff:7f00:1', 'loopback'],
    ['[::ffff:7f00:1]', '0:0:0:0:0:ffff:7f00:1', 'loopback'],
    ['fe80::1%eth0', 'fe80:0:0:0:0:0:0:1', 'link_local'],
    ['[2606:4700:4700::1111]', '2606:4700:4700:0:0:0:0:1111', 'public'],
    // ordinary names need DNS
    ['example.com', 'example.com', null],
    ['Example.COM.', 'example.com', null],
    ['localhost.example.com', 'localhost.example.com', null],
    // not hosts at all
    ['1.2.3.4.5', null, 'invalid'],
    ['999.1.1.1', null, 'invalid'],
    ['[::g]', null, 'invalid'],
  ];

  it.each(table)('%s → %s (%s)', (host, normalized, kind) => {
    expect(normalizeHost(host)).toBe(normalized);
    expect(classifyHostWithoutDns(host)).toBe(kind);
  });
});

import { isIPv4, isIPv6 } from 'node:net';

/**
 * What kind of address an IP is, for the SSRF rule: only `public` may receive deliveries unless private
 * targets are allowed. Every other class names why an address is refused.
 */
export type AddressClass =
  | 'public'
  | 'loopback'
  | 'private'
  | 'cgnat'
  | 'link_local'
  | 'unique_local'
  | 'multicast'
  | 'unspecified'
  | 'broadcast'
  | 'this_network'
  | 'documentation'
  | 'benchmark'
  | 'reserved'
  | 'invalid';

interface Range4 {
  base: number;
  bits: number;
  kind: AddressClass;
}

function v4(text: string, bits: number, kind: AddressClass): Range4 {
  return { base: parseIPv4(text)!, bits, kind };
}

// Checked in order; the first match wins, so the narrower ranges come before the wider ones.
const IPV4_RANGES: readonly Range4[] = [
  v4('0.0.0.0', 32, 'unspecified'),
  v4('0.0.0.0', 8, 'this_network'),
  v4('10.0.0.0', 8, 'private'),
  v4('100.64.0.0', 10, 'cgnat'),
  v4('127.0.0.0', 8, 'loopback'),
  v4('169.254.0.0', 16, 'link_local'),
  v4('172.16.0.0', 12, 'private'),
  v4('192.0.0.0', 24, 'reserved'), // IETF protocol assignments (incl. DS-Lite, NAT64 discovery)
  v4('192.0.2.0', 24, 'documentation'),
  v4('192.31.196.0', 24, 'reserved'), // AS112
  v4('192.52.193.0', 24, 'reserved'), // AMT
  v4('192.88.99.0', 24, 'reserved'), // deprecated 6to4 relay anycast
  v4('192.168.0.0', 16, 'private'),
  v4('192.175.48.0', 24, 'reserved'), // AS112 direct delegation
  v4('198.18.0.0', 15, 'benchmark'),
  v4('198.51.100.0', 24, 'documentation'),
  v4('203.0.113.0', 24, 'documentation'),
  v4('224.0.0.0', 4, 'multicast'),
  v4('255.255.255.255', 32, 'broadcast'),
  v4('240.0.0.0', 4, 'reserved'),
];

/** Dotted-quad IPv4 (the canonical form only) to an unsigned 32-bit number; null when not one. */
function parseIPv4(text: string): number | null {
  if (!isIPv4(text)) return null;
  const parts = text.split('.').map(Number);
  return (((parts[0]! << 24) | (parts[1]! << 16) | (parts[2]! << 8) | parts[3]!) >>> 0) as number;
}

function inRange4(value: number, range: Range4): boolean {
  if (range.bits === 0) return true;
  const mask = range.bits === 32 ? 0xffffffff : ~(0xffffffff >>> range.bits) >>> 0;
  return (value & mask) >>> 0 === (range.base & mask) >>> 0;
}

function classifyIPv4(value: number): AddressClass {
  for (const range of IPV4_RANGES) if (inRange4(value, range)) return range.kind;
  return 'public';
}

/** IPv6 text (any valid spelling, zone id allowed) to its eight 16-bit groups; null when not IPv6. */
export function parseIPv6(text: string): number[] | null {
  const withoutZone = text.replace(/%.*$/, '');
  if (!isIPv6(withoutZone)) return null;
  let body = withoutZone.toLowerCase();
  // A trailing dotted quad (::ffff:1.2.3.4) becomes two groups.
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(body);
  if (dotted) {
    const value = parseIPv4(dotted[1]!);
    if (value === null) return null;
    body = `${body.slice(0, dotted.index)}${(value >>> 16).toString(16)}:${(value & 0xffff).toString(16)}`;
  }
  const [head, tail] = body.includes('::') ? body.split('::') : [body, undefined];
  const headGroups = head ? head.split(':') : [];
  const tailGroups = tail ? tail.split(':') : [];
  const missing = 8 - headGroups.length - tailGroups.length;
  if (tail === undefined && missing !== 0) return null;
  const groups = [
    ...headGroups,
    ...new Array<string>(tail === undefined ? 0 : missing).fill('0'),
    ...tailGroups,
  ];
  if (groups.length !== 8) return null;
  return groups.map((group) => Number.parseInt(group, 16));
}

function embeddedV4(groups: number[], highIndex: number): number {
  return ((groups[highIndex]! << 16) | groups[highIndex + 1]!) >>> 0;
}

function classifyIPv6(g: number[]): AddressClass {
  const zeroUpTo = (n: number) => g.slice(0, n).every((x) => x === 0);
  if (zeroUpTo(8)) return 'unspecified';
  if (zeroUpTo(7) && g[7] === 1) return 'loopback';
  // IPv4-mapped ::ffff:a.b.c.d and the deprecated IPv4-compatible ::a.b.c.d carry a v4 address;
  // so does the well-known NAT64 prefix 64:ff9b::/96: judge the v4 address they reach.
  if (zeroUpTo(5) && g[5] === 0xffff) return classifyIPv4(embeddedV4(g, 6));
  if (zeroUpTo(6)) return classifyIPv4(embeddedV4(g, 6));
  if (g[0] === 0x64 && g[1] === 0xff9b && g.slice(2, 6).every((x) => x === 0)) {
    return classifyIPv4(embeddedV4(g, 6));
  }
  if (g[0] === 0x64 && g[1] === 0xff9b && g[2] === 1) return 'reserved'; // local-use NAT64 64:ff9b:1::/48
  if (g[0] === 0x100 && g[1] === 0 && g[2] === 0 && g[3] === 0) return 'reserved'; // discard-only 100::/64
  // 6to4 2002:AABB:CCDD::/48 tunnels to AA.BB.CC.DD.
  if (g[0] === 0x2002) return classifyIPv4(embeddedV4(g, 1));
  // Teredo 2001:0::/32 carries the client's v4 address inverted in the last 32 bits.
  if (g[0] === 0x2001 && g[1] === 0) {
    const client = (embeddedV4(g, 6) ^ 0xffffffff) >>> 0;
    const server = embeddedV4(g, 2);
    const clientClass = classifyIPv4(client);
    if (clientClass !== 'public') return clientClass;
    return classifyIPv4(server);
  }
  if (g[0] === 0x2001 && g[1] === 0xdb8) return 'documentation';
  if (g[0] === 0x2001 && g[1] === 2 && g[2] === 0) return 'benchmark';
  if (g[0] === 0x2001 && g[1]! < 0x200) return 'reserved'; // IETF protocol assignments 2001::/23 (ORCHID, AMT, …)
  if (g[0]! >> 4 === 0x3fff >> 4) return 'documentation'; // 3fff::/20
  if (g[0] === 0x5f00) return 'reserved'; // SRv6 SIDs
  if ((g[0]! & 0xfe00) === 0xfc00) return 'unique_local';
  if ((g[0]! & 0xffc0) === 0xfe80) return 'link_local';
  if ((g[0]! & 0xffc0) === 0xfec0) return 'private'; // deprecated site-local
  if ((g[0]! & 0xff00) === 0xff00) return 'multicast';
  // Only 2000::/3 is global unicast; everything else is unassigned or special.
  if ((g[0]! & 0xe000) === 0x2000) return 'public';
  return 'reserved';
}

/** Classifies an IP address literal (IPv4 dotted quad or any IPv6 spelling, brackets allowed). */
export function classifyAddress(ip: string): AddressClass {
  const text = ip.trim().replace(/^\[(.*)\]$/, '$1');
  const value4 = parseIPv4(text);
  if (value4 !== null) return classifyIPv4(value4);
  const groups = parseIPv6(text);
  if (groups !== null) return classifyIPv6(groups);
  return 'invalid';
}

export function isPublicAddress(ip: string): boolean {
  return classifyAddress(ip) === 'public';
}

/**
 * Canonicalises a URL host the way the WHATWG URL parser does (so `2130706433`, `0x7f000001`,
 * `0177.0.0.1` and `127.1` all become `127.0.0.1`), lowercased, without brackets or trailing dots.
 * Null when the text is no valid host.
 */
export function normalizeHost(host: string): string | null {
  const trimmed = host.trim();
  if (trimmed.includes(':')) {
    // IPv6, bracketed or not; a zone id (fe80::1%eth0) is kept out of the URL parser, which rejects it.
    const bare = trimmed.replace(/^\[(.*)\]$/, '$1');
    const groups = parseIPv6(bare);
    if (groups === null) return null;
    return groups.map((group) => group.toString(16)).join(':');
  }
  try {
    // Every trailing dot goes: `localhost..` must not dodge the name checks below.
    return new URL(`http://${trimmed}/`).hostname.toLowerCase().replace(/\.+$/, '');
  } catch {
    return null;
  }
}

/**
 * The class of a host known without DNS: an IP literal, or a name that always means this machine
 * (`localhost`, `*.localhost`, RFC 6761). Null when only DNS can tell.
 */
export function classifyHostWithoutDns(host: string): AddressClass | null {
  const normalized = normalizeHost(host);
  if (normalized === null) return 'invalid';
  if (isIPv4(normalized) || isIPv6(normalized)) return classifyAddress(normalized);
  if (normalized === 'localhost' || normalized.endsWith('.localhost')) return 'loopback';
  return null;
}

/** Human wording of a refused class, for error messages. */
export function describeAddressClass(kind: AddressClass): string {
  switch (kind) {
    case 'loopback':
      return 'a loopback address';
    case 'private':
      return 'a private network address';
    case 'cgnat':
      return 'a carrier-grade NAT address';
    case 'link_local':
      return 'a link-local address';
    case 'unique_local':
      return 'a unique-local address';
    case 'multicast':
      return 'a multicast address';
    case 'unspecified':
      return 'the unspecified address';
    case 'broadcast':
      return 'the broadcast address';
    case 'this_network':
      return 'a "this network" address';
    case 'documentation':
      return 'a documentation address';
    case 'benchmark':
      return 'a benchmarking address';
    case 'reserved':
      return 'a reserved address';
    case 'invalid':
      return 'an invalid address';
    case 'public':
      return 'a public address';
  }
}

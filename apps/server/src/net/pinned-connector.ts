import { LookupAddress } from 'node:dns';
import { lookup as dnsLookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { buildConnector } from 'undici';
import { classifyAddress, describeAddressClass } from './address-policy';
import { BlockedAddressError } from './attempt-error';

/** Resolves a host name to all its addresses (dns.lookup semantics); injectable for tests. */
export type ResolveAddresses = (hostname: string) => Promise<LookupAddress[]>;

const systemResolve: ResolveAddresses = (hostname) => dnsLookup(hostname, { all: true, verbatim: true });

export interface PinnedConnectorOptions {
  allowPrivateTargets: boolean;
  connectTimeoutMs: number;
  resolve?: ResolveAddresses;
}

function refuse(address: string, host: string): BlockedAddressError | null {
  const kind = classifyAddress(address);
  if (kind === 'public') return null;
  const what = address === host ? address : `${host} (${address})`;
  return new BlockedAddressError(`${what} is ${describeAddressClass(kind)}; private targets are not allowed`);
}

type LookupCallback = (
  error: NodeJS.ErrnoException | null,
  address: string | LookupAddress[],
  family?: number,
) => void;

/**
 * A `net.connect` lookup that resolves once, refuses the whole answer when any address is non-public
 * (unless allowed), and hands exactly the checked addresses to the socket. Because the socket connects
 * to what was checked, a DNS answer that changes between the check and the connect (rebinding) cannot
 * slip a private address through.
 */
function pinnedLookup(options: Pick<PinnedConnectorOptions, 'allowPrivateTargets' | 'resolve'>) {
  const resolve = options.resolve ?? systemResolve;
  return (
    hostname: string,
    lookupOptions: { all?: boolean; family?: number | string },
    callback: LookupCallback,
  ) => {
    resolve(hostname).then(
      (records) => {
        const wanted =
          lookupOptions.family === 6 || lookupOptions.family === 'IPv6'
            ? 6
            : lookupOptions.family === 4 || lookupOptions.family === 'IPv4'
              ? 4
              : 0;
        const usable = wanted === 0 ? records : records.filter((record) => record.family === wanted);
        if (usable.length === 0) {
          callback(Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' }), '');
          return;
        }
        if (!options.allowPrivateTargets) {
          for (const record of records) {
            const blocked = refuse(record.address, hostname);
            if (blocked) {
              callback(blocked, '');
              return;
            }
          }
        }
        if (lookupOptions.all) callback(null, usable);
        else callback(null, usable[0]!.address, usable[0]!.family);
      },
      (error: NodeJS.ErrnoException) => callback(error, ''),
    );
  };
}

/**
 * An undici connector that enforces the address policy at connect time (§5): IP-literal hosts are
 * checked directly (the OS resolver is never asked), names go through `pinnedLookup`.
 */
export function createPinnedConnector(options: PinnedConnectorOptions): buildConnector.connector {
  const base = buildConnector({
    timeout: options.connectTimeoutMs,
    lookup: pinnedLookup(options),
  } as buildConnector.BuildOptions);
  return (connectOptions, callback) => {
    const host = connectOptions.hostname.replace(/^\[(.*)\]$/, '$1');
    if (!options.allowPrivateTargets && isIP(host) !== 0) {
      const blocked = refuse(host, host);
      if (blocked) {
        callback(blocked, null);
        return;
      }
    }
    base(connectOptions, callback);
  };
}

import { lookup as dnsLookup } from 'node:dns/promises';
import {
  classifyAddress,
  classifyHostWithoutDns,
  describeAddressClass,
  normalizeHost,
} from './address-policy';

export interface UrlPolicy {
  allowPrivateTargets: boolean;
  allowInsecureHttp: boolean;
  production: boolean;
}

/** Resolves a host name to every address it has; injectable so tests never need real DNS. */
export type ResolveHost = (hostname: string) => Promise<string[]>;

export const MAX_ENDPOINT_URL_LENGTH = 2048;
const DNS_TIMEOUT_MS = 5_000;

const resolveAllAddresses: ResolveHost = async (hostname) => {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(Object.assign(new Error('DNS lookup timed out'), { code: 'ETIMEOUT' })),
      DNS_TIMEOUT_MS,
    );
  });
  try {
    const records = await Promise.race([dnsLookup(hostname, { all: true, verbatim: true }), timeout]);
    return records.map((record) => record.address);
  } finally {
    clearTimeout(timer);
  }
};

/**
 * Checks an endpoint URL at registration: null when acceptable, else one sentence for the `url` field.
 * The same address rule is enforced again at connect time (see pinned-lookup), because DNS can change
 * between now and a delivery; so a host that does not resolve yet is accepted here.
 */
export async function checkEndpointUrl(
  url: string,
  policy: UrlPolicy,
  resolve: ResolveHost = resolveAllAddresses,
): Promise<string | null> {
  if (url.length > MAX_ENDPOINT_URL_LENGTH)
    return `must be at most ${MAX_ENDPOINT_URL_LENGTH} characters long.`;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'must be an absolute http or https URL.';
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return 'must use http or https.';
  if (parsed.protocol === 'http:' && policy.production && !policy.allowInsecureHttp) {
    return 'must use https (set WEBHOOKS_ALLOW_INSECURE_HTTP=true to allow http).';
  }
  if (parsed.username !== '' || parsed.password !== '') {
    return 'must not contain credentials; use endpoint headers for authentication.';
  }
  const host = normalizeHost(parsed.hostname);
  if (host === null || host === '') return 'must name a valid host.';
  if (policy.allowPrivateTargets) return null;

  const known = classifyHostWithoutDns(host);
  if (known !== null) return known === 'public' ? null : refusal(host, known);

  let addresses: string[];
  try {
    addresses = await resolve(host);
  } catch {
    return null;
  }
  for (const address of addresses) {
    const kind = classifyAddress(address);
    if (kind !== 'public') return refusal(host, kind, address);
  }
  return null;
}

function refusal(host: string, kind: ReturnType<typeof classifyAddress>, address?: string): string {
  const target = address && address !== host ? `${host} resolves to ${address}, which is` : `${host} is`;
  return `must not target a non-public address: ${target} ${describeAddressClass(kind)} (set WEBHOOKS_ALLOW_PRIVATE_TARGETS=true to allow it).`;
}

/** Why an attempt failed (§3). */
export const ATTEMPT_ERROR_CODES = [
  'timeout',
  'connection_refused',
  'connection_reset',
  'dns',
  'tls',
  'redirect',
  'blocked_address',
  'http_status',
] as const;
export type AttemptErrorCode = (typeof ATTEMPT_ERROR_CODES)[number];

/** Thrown by the pinned connector when a target resolves to an address the policy refuses. */
export class BlockedAddressError extends Error {
  override readonly name = 'BlockedAddressError';
  readonly code = 'ERR_BLOCKED_ADDRESS';
}

/** The request ran past WEBHOOKS_REQUEST_TIMEOUT (connect + full response). */
export class AttemptTimeoutError extends Error {
  override readonly name = 'AttemptTimeoutError';
  readonly code = 'ERR_ATTEMPT_TIMEOUT';
}

const TIMEOUT_CODES = new Set([
  'ERR_ATTEMPT_TIMEOUT',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'ETIMEDOUT',
  'ESOCKETTIMEDOUT',
]);
const REFUSED_CODES = new Set([
  'ECONNREFUSED',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EHOSTDOWN',
  'ENETDOWN',
  'EADDRNOTAVAIL',
]);
const RESET_CODES = new Set([
  'ECONNRESET',
  'EPIPE',
  'ECONNABORTED',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'HPE_INVALID_CONSTANT',
]);
const DNS_CODES = new Set([
  'ENOTFOUND',
  'EAI_AGAIN',
  'EAI_FAIL',
  'EAI_NONAME',
  'EAI_NODATA',
  'ENODATA',
  'ESERVFAIL',
  'ETIMEOUT',
]);
const TLS_CODES = new Set([
  'EPROTO',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

interface ErrorLike {
  code?: unknown;
  name?: unknown;
  message?: unknown;
  cause?: unknown;
  errors?: unknown;
}

/** Every error code in an error, its causes and (for AggregateError, e.g. happy eyeballs) its members. */
function codesOf(error: unknown, depth = 0): string[] {
  if (!error || typeof error !== 'object' || depth > 4) return [];
  const e = error as ErrorLike;
  const codes: string[] = [];
  if (typeof e.code === 'string') codes.push(e.code);
  if (e.name === 'AbortError' || e.name === 'TimeoutError') codes.push('ERR_ATTEMPT_TIMEOUT');
  codes.push(...codesOf(e.cause, depth + 1));
  if (Array.isArray(e.errors)) for (const inner of e.errors) codes.push(...codesOf(inner, depth + 1));
  return codes;
}

/** Maps a transport error (Node, undici, ours) to an error code of §3. */
export function classifyTransportError(error: unknown): AttemptErrorCode {
  const codes = codesOf(error);
  const has = (set: Set<string>) => codes.some((code) => set.has(code));
  if (codes.includes('ERR_BLOCKED_ADDRESS')) return 'blocked_address';
  if (has(TIMEOUT_CODES)) return 'timeout';
  if (has(DNS_CODES)) return 'dns';
  if (has(TLS_CODES) || codes.some((code) => /^(ERR_TLS_|ERR_SSL_|ERR_OSSL_)/.test(code))) return 'tls';
  if (has(REFUSED_CODES)) return 'connection_refused';
  if (has(RESET_CODES)) return 'connection_reset';
  return 'connection_reset';
}

/** A short, log-safe message for an attempt's `error.message`. */
export function describeTransportError(error: unknown): string {
  const e = (error ?? {}) as ErrorLike;
  const message = typeof e.message === 'string' && e.message ? e.message : String(error);
  const code = typeof e.code === 'string' ? e.code : undefined;
  const text = code && !message.includes(code) ? `${code}: ${message}` : message;
  // OpenSSL's messages span lines ("…:SSL routines::wrong version number\n"): keep one tidy line.
  return text.replace(/\s+/g, ' ').trim().slice(0, 1000);
}

/**
 * Headers the server sets itself on every delivery (§4), plus those the HTTP layer owns. An endpoint's
 * custom headers may not name them, in any letter case.
 */
export const RESERVED_HEADERS: ReadonlySet<string> = new Set([
  'x-webhook-event',
  'x-webhook-signature',
  'webhook-id',
  'webhook-timestamp',
  'webhook-signature',
  'content-type',
  'user-agent',
  'host',
  'content-length',
  'transfer-encoding',
  'connection',
]);

const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const MAX_HEADERS = 20;
const MAX_HEADER_NAME = 100;
const MAX_HEADER_VALUE = 1_000;
const MAX_METADATA_KEYS = 50;
const MAX_METADATA_BYTES = 8_192;

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Why `headers` is unacceptable, or null: an object of header name → string value, none reserved. */
export function headersProblem(value: unknown): string | null {
  if (!isPlainObject(value)) return 'must be an object of header name to string value';
  const entries = Object.entries(value);
  if (entries.length > MAX_HEADERS) return `may hold at most ${MAX_HEADERS} headers`;
  for (const [name, headerValue] of entries) {
    if (name.length > MAX_HEADER_NAME) return `header names must be at most ${MAX_HEADER_NAME} characters`;
    if (!HEADER_NAME.test(name)) return `"${name}" is not a valid header name`;
    if (RESERVED_HEADERS.has(name.toLowerCase()))
      return `"${name}" is set by the server and cannot be overridden`;
    if (typeof headerValue !== 'string') return `"${name}" must have a string value`;
    if (/[\r\n\0]/.test(headerValue)) return `"${name}" must not contain line breaks`;
    // What an HTTP/1.1 field value may hold (and what undici will send): no other control characters.
    if (/[^\t\x20-\x7e\x80-\xff]/.test(headerValue)) return `"${name}" may only hold printable characters`;
    if (headerValue.length > MAX_HEADER_VALUE)
      return `"${name}" is longer than ${MAX_HEADER_VALUE} characters`;
  }
  return null;
}

/** Why `metadata` is unacceptable, or null: an object of string → string, for the integrator's own use. */
export function metadataProblem(value: unknown): string | null {
  if (!isPlainObject(value)) return 'must be an object of string values';
  const entries = Object.entries(value);
  if (entries.length > MAX_METADATA_KEYS) return `may hold at most ${MAX_METADATA_KEYS} keys`;
  for (const [key, entry] of entries) {
    if (key.length === 0 || key.length > 100) return 'keys must be 1–100 characters';
    if (typeof entry !== 'string' || entry.length > 1_000)
      return `"${key}" must be a string of at most 1000 characters`;
  }
  if (Buffer.byteLength(JSON.stringify(value)) > MAX_METADATA_BYTES)
    return `must be at most ${MAX_METADATA_BYTES} bytes as JSON`;
  return null;
}

import { concat, fromBase64, fromHex, utf8 } from './bytes.js';
import { WebhookVerificationError } from './errors.js';
import { type HeadersInput, readHeader } from './headers.js';

/** The raw request body, byte for byte as received (a Node Buffer is a Uint8Array). */
export type Payload = string | Uint8Array;

/** One signing secret, or several during a rotation: any one that matches is enough. */
export type Secret = string | readonly string[];

/**
 * Remembers accepted requests. `checkAndRemember` returns true when `key` is new (and remembers it
 * for `ttlMs`), false when it was already seen. A Redis `SET key 1 NX PX ttlMs` is exactly this.
 */
export interface ReplayGuard {
  checkAndRemember(key: string, ttlMs: number): boolean | Promise<boolean>;
}

export interface VerifyOptions {
  /** Largest accepted difference, in seconds and in either direction, between the signature's timestamp and now. Default 300. */
  toleranceSeconds?: number;
  /** The current time in milliseconds since the epoch (or a function returning it); for tests. */
  now?: number | (() => number);
  /** Rejects a second delivery of an already-accepted signed request with `replayed_request`. */
  replayGuard?: ReplayGuard;
}

/** The JSON body of an Acme Webhooks delivery. */
export interface WebhookEvent {
  id: string;
  type: string;
  created_at: string;
  data: Record<string, unknown>;
  [field: string]: unknown;
}

const DEFAULT_TOLERANCE_SECONDS = 300;
const PREFIX = 'whsec_';

/** What the headers claim, and every (key, message) pair whose HMAC could match one of the signatures. */
export interface SignedRequest {
  scheme: 'acme' | 'standard';
  timestamp: number;
  signatures: Uint8Array[];
  candidates: { key: Uint8Array; message: Uint8Array }[];
  /** `<t>.<body>`: the same for both header schemes, so stripping one header cannot dodge the replay guard. */
  replayMaterial: Uint8Array;
  payload: Uint8Array;
  secrets: string[];
}

export interface AcceptedRequest<T> {
  event: T;
  ttlMs: number;
}

/** Reads and validates the inputs; throws for a missing or malformed header. No crypto here. */
export function parseSignedRequest(payload: Payload, headers: HeadersInput, secret: Secret): SignedRequest {
  const body = payloadBytes(payload);
  const secrets = secretList(secret);
  if (typeof headers !== 'object' || headers === null) {
    throw new TypeError(
      `headers must be the request headers (an object, Headers or Map); got ${describe(headers)}.`,
    );
  }

  const acmeHeader = readHeader(headers, 'x-webhook-signature');
  if (acmeHeader !== undefined) {
    const { timestamp, signatures } = parseAcmeHeader(acmeHeader);
    const replayMaterial = concat(utf8(`${timestamp}.`), body);
    return {
      scheme: 'acme',
      timestamp: Number(timestamp),
      signatures: decodeAll(signatures, fromHex),
      candidates: secrets.map((s) => ({ key: utf8(s), message: replayMaterial })),
      replayMaterial,
      payload: body,
      secrets,
    };
  }

  const id = readHeader(headers, 'webhook-id');
  const timestamp = readHeader(headers, 'webhook-timestamp');
  const signature = readHeader(headers, 'webhook-signature');
  if (id === undefined || timestamp === undefined || signature === undefined) {
    throw missingHeaders(headers, {
      'webhook-id': id,
      'webhook-timestamp': timestamp,
      'webhook-signature': signature,
    });
  }
  const ts = timestamp.trim();
  checkTimestampSyntax(ts, 'webhook-timestamp', timestamp);
  const message = concat(utf8(`${id}.${ts}.`), body);
  const candidates: SignedRequest['candidates'] = [];
  for (const s of secrets) {
    const key = standardKey(s);
    if (key) candidates.push({ key, message });
  }
  return {
    scheme: 'standard',
    timestamp: Number(ts),
    signatures: decodeAll(parseStandardHeader(signature), fromBase64),
    candidates,
    replayMaterial: concat(utf8(`${ts}.`), body),
    payload: body,
    secrets,
  };
}

/**
 * Decides the outcome once every candidate's HMAC is computed (`macs[i]` for `signed.candidates[i]`, by
 * whichever crypto library): signature first, so a clock-skew message is about a genuine timestamp.
 */
export function acceptSignedRequest<T>(
  signed: SignedRequest,
  macs: readonly Uint8Array[],
  equal: (a: Uint8Array, b: Uint8Array) => boolean,
  options: VerifyOptions,
): AcceptedRequest<T> {
  let matched = false;
  // Every MAC is compared, not just until the first match, so timing does not reveal which secret matched.
  for (const mac of macs) if (signed.signatures.some((signature) => equal(mac, signature))) matched = true;
  if (!matched) throw new WebhookVerificationError('signature_mismatch', mismatchMessage(signed));

  const tolerance = options.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS;
  if (!Number.isFinite(tolerance) || tolerance < 0) {
    throw new TypeError(`toleranceSeconds must be a finite number >= 0; got ${describe(tolerance)}.`);
  }
  const nowMs = typeof options.now === 'function' ? options.now() : (options.now ?? Date.now());
  const age = Math.floor(nowMs / 1000) - signed.timestamp;
  if (Math.abs(age) > tolerance) {
    throw new WebhookVerificationError(
      'timestamp_outside_tolerance',
      skewMessage(age, tolerance, signed.timestamp),
    );
  }

  return {
    event: parseEvent<T>(signed.payload),
    ttlMs: Math.max(1, Math.ceil((signed.timestamp + tolerance) * 1000 - nowMs)),
  };
}

export function replayedError(): WebhookVerificationError {
  return new WebhookVerificationError(
    'replayed_request',
    'This exact signed request was already accepted: it is a replay (or a duplicate sent by a proxy). ' +
      'Legitimate retries from Acme Webhooks carry a new timestamp and signature, so they are not affected.',
  );
}

/** Standard Webhooks key: the base64 after `whsec_` (a bare base64 secret is accepted too, as the spec's libraries do). */
export function standardKey(secret: string): Uint8Array | undefined {
  const key = fromBase64(secret.startsWith(PREFIX) ? secret.slice(PREFIX.length) : secret);
  return key && key.length > 0 ? key : undefined;
}

function payloadBytes(payload: Payload): Uint8Array {
  if (typeof payload === 'string') return utf8(payload);
  if (payload instanceof Uint8Array) return payload;
  throw new WebhookVerificationError(
    'invalid_payload',
    `The payload must be the raw request body (a string, Buffer or Uint8Array), but got ${describe(payload)}. ` +
      (typeof payload === 'object' && payload !== null
        ? 'The body was already parsed as JSON; signatures cover the exact bytes sent, so a parsed body cannot be verified. '
        : 'Nothing read the request body. ') +
      'In Express mount express.raw({ type: "application/json" }) on the webhook route (or use @acme/webhook-verify/express); ' +
      'in NestJS create the app with { rawBody: true } and pass req.rawBody; with Fetch pass await request.text().',
  );
}

export function secretList(secret: Secret): string[] {
  const list: unknown[] | undefined =
    typeof secret === 'string' ? [secret] : Array.isArray(secret) ? [...secret] : undefined;
  if (!list || list.length === 0 || list.some((s) => typeof s !== 'string' || s.length === 0)) {
    throw new TypeError(
      `secret must be the endpoint's signing secret (a non-empty "whsec_..." string) or an array of them; got ${describe(secret)}. ` +
        'Check that the environment variable holding it is set.',
    );
  }
  return list as string[];
}

function parseAcmeHeader(value: string): { timestamp: string; signatures: string[] } {
  let timestamp: string | undefined;
  const signatures: string[] = [];
  const schemes: string[] = [];
  for (const part of value.split(',')) {
    const eq = part.indexOf('=');
    if (eq === -1) continue;
    const key = part.slice(0, eq).trim();
    const val = part.slice(eq + 1).trim();
    if (key === 't') {
      if (timestamp !== undefined && timestamp !== val) {
        throw invalidHeader(`X-Webhook-Signature has two different t= elements (${quote(value)}).`);
      }
      timestamp = val;
    } else if (key === 'v1') {
      signatures.push(val);
    } else {
      schemes.push(key);
    }
  }
  if (timestamp === undefined) {
    throw invalidHeader(
      `X-Webhook-Signature has no t=<unix seconds> element (got ${quote(value)}); expected "t=1736771700,v1=<hex>".`,
    );
  }
  if (signatures.length === 0) {
    throw invalidHeader(
      `X-Webhook-Signature has no v1=<hex> signature${schemes.length ? ` (found only: ${schemes.join(', ')})` : ''}; ` +
        'expected "t=<unix seconds>,v1=<hex>".',
    );
  }
  checkTimestampSyntax(timestamp, 'X-Webhook-Signature t=', value);
  return { timestamp, signatures };
}

function parseStandardHeader(value: string): string[] {
  const signatures: string[] = [];
  // Space-separated per the spec; trailing commas appear when a proxy or Headers joins repeated fields with ", ".
  for (const token of value.split(/\s+/)) {
    const [scheme, signature] = token.replace(/,+$/, '').split(',', 2);
    if (scheme === 'v1' && signature) signatures.push(signature);
  }
  if (signatures.length === 0) {
    throw invalidHeader(`webhook-signature has no "v1,<base64>" signature (got ${quote(value)}).`);
  }
  return signatures;
}

function checkTimestampSyntax(timestamp: string, where: string, header: string): void {
  if (!/^\d{1,15}$/.test(timestamp)) {
    throw invalidHeader(`${where} must be a unix timestamp in seconds (got ${quote(header)}).`);
  }
}

/** Undecodable signatures are dropped: they can only mismatch, which is reported below. */
function decodeAll(values: string[], decode: (value: string) => Uint8Array | undefined): Uint8Array[] {
  return values.map(decode).filter((v): v is Uint8Array => v !== undefined);
}

function parseEvent<T>(payload: Uint8Array): T {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(payload);
  } catch {
    throw new WebhookVerificationError(
      'invalid_payload',
      'The payload is signed correctly but is not valid UTF-8 text.',
    );
  }
  try {
    return JSON.parse(text) as T;
  } catch (error) {
    throw new WebhookVerificationError(
      'invalid_payload',
      `The payload is signed correctly but is not valid JSON (${(error as Error).message}).`,
    );
  }
}

function missingHeaders(
  headers: HeadersInput,
  standard: Record<string, string | undefined>,
): WebhookVerificationError {
  const present = Object.keys(standard).filter((name) => standard[name] !== undefined);
  if (present.length > 0) {
    const missing = Object.keys(standard).filter((name) => standard[name] === undefined);
    return new WebhookVerificationError(
      'missing_signature_header',
      `Missing the ${missing.join(' and ')} header${missing.length > 1 ? 's' : ''} (${present.join(' and ')} ` +
        `${present.length > 1 ? 'are' : 'is'} present): Standard Webhooks signatures need webhook-id, webhook-timestamp and webhook-signature. ` +
        'Check that every proxy in front of this app forwards all of them.',
    );
  }
  const looksLikeRequest = !(headers instanceof Map) && typeof headers === 'object' && 'headers' in headers;
  return new WebhookVerificationError(
    'missing_signature_header',
    'No signature header: expected X-Webhook-Signature (or webhook-id, webhook-timestamp and webhook-signature). ' +
      (looksLikeRequest
        ? 'It looks like the whole request object was passed as headers: pass request.headers.'
        : 'Check that the request comes from Acme Webhooks and that every proxy in front of this app forwards these headers.'),
  );
}

function mismatchMessage(signed: SignedRequest): string {
  const header = signed.scheme === 'acme' ? 'X-Webhook-Signature' : 'webhook-signature';
  const many = signed.secrets.length > 1;
  const which = (i: number) => (many ? `Secret #${i + 1}` : 'The secret');
  const hints: string[] = [];

  if (signed.payload.length === 0) {
    hints.push('The payload is empty: something read the request body before the verifier got it.');
  } else if (new TextDecoder().decode(signed.payload.subarray(0, 20)) === '[object Object]') {
    hints.push(
      'The payload is the text "[object Object]": an object was stringified; pass the raw body instead.',
    );
  }
  signed.secrets.forEach((secret, i) => {
    if (secret.trim() !== secret) {
      hints.push(
        `${which(i)} has leading or trailing whitespace (often a newline from an env file or a copy-paste): trim it.`,
      );
    } else if (!secret.startsWith(PREFIX)) {
      hints.push(
        `${which(i)} does not start with "${PREFIX}": use the whole secret exactly as the API returned it, prefix included.`,
      );
    } else if (signed.scheme === 'standard' && !standardKey(secret)) {
      hints.push(`${which(i)} is not valid base64 after its "${PREFIX}" prefix: copy it again from the API.`);
    }
  });

  return (
    `No signature in the ${header} header matches this payload and secret${many ? 's' : ''}. ${hints.join(' ')}` +
    (hints.length ? ' ' : '') +
    'Pass the raw request body exactly as received, not JSON that was parsed and re-serialized ' +
    '(JSON.stringify changes whitespace, key order and escaping), and use the secret of this endpoint ' +
    '(during a secret rotation, pass both: [newSecret, oldSecret]).'
  );
}

function skewMessage(age: number, tolerance: number, timestamp: number): string {
  const when = `signed at ${timestamp}, this server's clock says ${timestamp + age}`;
  return age > 0
    ? `The signature timestamp is ${age} seconds old, more than the ${tolerance} s tolerance (${when}). ` +
        "Either this is a replay of an old request, or this server's clock runs fast: sync it with NTP."
    : `The signature timestamp is ${-age} seconds in the future, more than the ${tolerance} s tolerance (${when}). ` +
        "This server's clock runs slow: sync it with NTP.";
}

function invalidHeader(message: string): WebhookVerificationError {
  return new WebhookVerificationError('invalid_signature_header', message);
}

function quote(value: string): string {
  return JSON.stringify(value.length > 120 ? `${value.slice(0, 120)}...` : value);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return value.length === 0 ? 'an empty array' : 'an array';
  if (value === '') return 'an empty string';
  return typeof value === 'object' ? `an object (${Object.prototype.toString.call(value)})` : typeof value;
}

import { sign } from '@acme/webhook-verify';
import { RESERVED_HEADERS } from '../endpoints/endpoint-rules';
import { OutgoingRequest } from '../net/http-sender';

/** Hop-by-hop headers the HTTP client owns; undici refuses some of them outright. */
const TRANSPORT_HEADERS = new Set(['keep-alive', 'upgrade', 'expect', 'te', 'trailer', 'proxy-connection']);

export interface DeliveryRequestInput {
  url: string;
  /** The endpoint's custom headers; they never replace a header of §4. */
  customHeaders: Record<string, string> | null | undefined;
  eventId: string;
  eventType: string;
  /** The stored event body, sent byte for byte on every attempt. */
  payload: string;
  /** Active secrets, newest first: one signature per secret. */
  secrets: readonly string[];
  userAgent: string;
  /** The time of this attempt: the signed `t`. */
  now: Date;
}

/** The HTTP request of one attempt (§4): custom headers first, then the server's, which win. */
export function buildDeliveryRequest(input: DeliveryRequestInput): OutgoingRequest {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(input.customHeaders ?? {})) {
    const lower = name.toLowerCase();
    if (RESERVED_HEADERS.has(lower) || TRANSPORT_HEADERS.has(lower)) continue;
    if (typeof value !== 'string') continue;
    headers[name] = value;
  }
  const signature = sign({
    payload: input.payload,
    secret: [...input.secrets],
    id: input.eventId,
    timestamp: Math.floor(input.now.getTime() / 1000),
  });
  Object.assign(headers, {
    'Content-Type': 'application/json',
    'User-Agent': input.userAgent,
    'X-Webhook-Event': input.eventType,
    ...signature,
  });
  return { url: input.url, headers, body: input.payload };
}

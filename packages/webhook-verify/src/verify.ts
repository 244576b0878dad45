import { toHex } from './bytes.js';
import { nodeCrypto } from './crypto-node.js';
import type { HeadersInput } from './headers.js';
import {
  acceptSignedRequest,
  type Payload,
  parseSignedRequest,
  replayedError,
  type Secret,
  type VerifyOptions,
  type WebhookEvent,
} from './signature.js';

/**
 * Checks an Acme Webhooks (or Standard Webhooks) signature and returns the parsed event.
 * Throws a WebhookVerificationError whose `code` says what failed and whose message says what to fix.
 */
export function verify<T = WebhookEvent>(
  payload: Payload,
  headers: HeadersInput,
  secret: Secret,
  options: VerifyOptions = {},
): T {
  const signed = parseSignedRequest(payload, headers, secret);
  const macs = signed.candidates.map(({ key, message }) => nodeCrypto.hmacSha256Sync(key, message));
  const { event, ttlMs } = acceptSignedRequest<T>(signed, macs, nodeCrypto.equal, options);
  if (options.replayGuard) {
    const key = toHex(nodeCrypto.sha256Sync(signed.replayMaterial));
    const fresh = options.replayGuard.checkAndRemember(key, ttlMs);
    if (typeof fresh !== 'boolean') {
      Promise.resolve(fresh).catch(() => {});
      throw new TypeError('This replay guard answers asynchronously (a Promise): use verifyAsync() with it.');
    }
    if (!fresh) throw replayedError();
  }
  return event;
}

import { toHex } from './bytes.js';
import { type CryptoProvider, webCrypto } from './crypto-web.js';
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

export type AsyncVerifier = <T = WebhookEvent>(
  payload: Payload,
  headers: HeadersInput,
  secret: Secret,
  options?: VerifyOptions,
) => Promise<T>;

/** The asynchronous pipeline over any crypto provider; accepts sync and async replay guards. */
export function createAsyncVerifier(crypto: CryptoProvider): AsyncVerifier {
  return async function verifyAsync<T>(
    payload: Payload,
    headers: HeadersInput,
    secret: Secret,
    options: VerifyOptions = {},
  ): Promise<T> {
    const signed = parseSignedRequest(payload, headers, secret);
    const macs = await Promise.all(
      signed.candidates.map(({ key, message }) => crypto.hmacSha256(key, message)),
    );
    const { event, ttlMs } = acceptSignedRequest<T>(signed, macs, crypto.equal, options);
    if (options.replayGuard) {
      const key = toHex(await crypto.sha256(signed.replayMaterial));
      if (!(await options.replayGuard.checkAndRemember(key, ttlMs))) throw replayedError();
    }
    return event;
  };
}

/**
 * Like verify(), on WebCrypto only (Cloudflare Workers, Vercel Edge, Deno, Bun, browsers, Node >= 19).
 * Resolves to the parsed event; rejects with a WebhookVerificationError.
 */
export const verifyAsync: AsyncVerifier = createAsyncVerifier(webCrypto);

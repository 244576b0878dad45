import { WebhookVerificationError } from './errors.js';
import type { Secret, VerifyOptions, WebhookEvent } from './signature.js';
import { verifyAsync } from './verify-async.js';

// This entry point never reaches node:* modules, so edge runtimes can import everything they need from it.
export { WebhookVerificationError, type WebhookVerificationErrorCode } from './errors.js';
export { createMemoryReplayGuard } from './replay-guard.js';
export type { ReplayGuard, Secret, VerifyOptions, WebhookEvent } from './signature.js';
export { verifyAsync } from './verify-async.js';

/** The parts of a Fetch `Request` used here (Next.js, Hono's c.req.raw, Workers, Deno and Bun all fit). */
export interface FetchRequest {
  readonly headers: { get(name: string): string | null };
  readonly bodyUsed: boolean;
  arrayBuffer(): Promise<ArrayBuffer>;
}

/** Reads the request's body and verifies it with WebCrypto; resolves to the parsed event. */
export async function verifyRequest<T = WebhookEvent>(
  request: FetchRequest,
  secret: Secret,
  options?: VerifyOptions,
): Promise<T> {
  if (request.bodyUsed) {
    throw new WebhookVerificationError(
      'invalid_payload',
      'The request body was already read (by request.json() or text()): call verifyRequest() first and use the ' +
        'event it returns, or pass request.clone().',
    );
  }
  return verifyAsync<T>(new Uint8Array(await request.arrayBuffer()), request.headers, secret, options);
}

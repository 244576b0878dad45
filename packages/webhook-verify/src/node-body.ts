import type { IncomingMessage } from 'node:http';
import { nodeCrypto } from './crypto-node.js';
import { WebhookVerificationError } from './errors.js';
import { type Payload, type Secret, secretList, type VerifyOptions, type WebhookEvent } from './signature.js';
import { createAsyncVerifier } from './verify-async.js';

export interface WebhookMiddlewareOptions extends VerifyOptions {
  /** The endpoint's signing secret, or [newSecret, oldSecret] during a rotation. */
  secret: Secret;
  /** Largest body the middleware reads from the request stream itself, in bytes. Default 1 MiB. */
  maxBodyBytes?: number;
}

const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

// node:crypto behind the async pipeline: works on Node 18 and lets the replay guard be async (Redis).
const verifyAsync = createAsyncVerifier(nodeCrypto);

/** What earlier middleware left on the request: the (maybe parsed) body and a kept raw copy. */
export interface SeenBody {
  body: unknown;
  rawBody: unknown;
}

/**
 * The part of the Express and Koa middlewares that is the same: checks the options once, at start-up,
 * and returns the per-request step that finds the raw body and verifies it. `fix` tells the user of
 * that framework how to keep the raw body when it was parsed away.
 */
export function createRequestVerifier(
  options: WebhookMiddlewareOptions,
  fix: string,
): (req: IncomingMessage, seen: SeenBody) => Promise<WebhookEvent> {
  const { secret, maxBodyBytes = DEFAULT_MAX_BODY_BYTES, ...verifyOptions } = options;
  secretList(secret); // fail at start-up, not on the first delivery
  return async (req, seen) => {
    const payload = await rawBody(req, seen, maxBodyBytes, fix);
    return verifyAsync<WebhookEvent>(payload, req.headers, secret, verifyOptions);
  };
}

/**
 * The raw body, from wherever earlier middleware left it: bytes or text a raw/text parser put in the
 * body, a copy a JSON parser kept (NestJS req.rawBody, koa-bodyparser ctx.request.rawBody), or else
 * the request stream, when nothing has read it yet.
 */
function rawBody(
  req: IncomingMessage,
  seen: SeenBody,
  limit: number,
  fix: string,
): Payload | Promise<Payload> {
  for (const candidate of [seen.body, seen.rawBody]) {
    if (candidate instanceof Uint8Array || typeof candidate === 'string') return candidate;
  }
  if (!req.readableEnded) return readStream(req, limit);
  throw new WebhookVerificationError(
    'invalid_payload',
    'The request body was already parsed and its raw bytes were not kept, so its signature cannot be checked ' +
      `(re-serialized JSON never matches). ${fix}`,
  );
}

function readStream(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const cleanup = () => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) {
        chunks.push(chunk);
        return;
      }
      cleanup();
      // Drain rather than destroy: destroying the socket would also lose the 400 answer.
      req.resume();
      reject(
        new WebhookVerificationError(
          'invalid_payload',
          `The request body is larger than maxBodyBytes (${limit} bytes); raise maxBodyBytes if this is expected.`,
        ),
      );
    };
    const onEnd = () => {
      cleanup();
      resolve(Buffer.concat(chunks));
    };
    const onError = (error: Error) => {
      cleanup();
      reject(error);
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
  });
}

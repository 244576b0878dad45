import type { IncomingMessage } from 'node:http';
import { WebhookVerificationError } from './errors.js';
import type { Payload, Secret, VerifyOptions } from './signature.js';

export interface WebhookMiddlewareOptions extends VerifyOptions {
  /** The endpoint's signing secret, or [newSecret, oldSecret] during a rotation. */
  secret: Secret;
  /** Largest body the middleware reads from the request stream itself, in bytes. Default 1 MiB. */
  maxBodyBytes?: number;
}

export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

/**
 * The raw body, from wherever earlier middleware left it: bytes or text a raw/text parser put in the
 * body, a copy a JSON parser kept (NestJS req.rawBody, koa-bodyparser ctx.request.rawBody), or else
 * the request stream, when nothing has read it yet.
 */
export function rawBody(
  req: IncomingMessage,
  seen: { body: unknown; rawBody: unknown },
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

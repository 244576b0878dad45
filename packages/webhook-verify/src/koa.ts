import type { Middleware } from 'koa';
import { nodeCrypto } from './crypto-node.js';
import { problemDetails, WebhookVerificationError } from './errors.js';
import { DEFAULT_MAX_BODY_BYTES, rawBody, type WebhookMiddlewareOptions } from './node-body.js';
import { secretList, type WebhookEvent } from './signature.js';
import { createAsyncVerifier } from './verify-async.js';

export type { WebhookMiddlewareOptions } from './node-body.js';

const FIX =
  'Mount the webhook middleware before the body parser, or use koa-bodyparser, which keeps the raw text ' +
  'in ctx.request.rawBody.';

// node:crypto behind the async pipeline: works on Node 18 and lets the replay guard be async (Redis).
const verifyAsync = createAsyncVerifier(nodeCrypto);

/**
 * Verifies the request, then sets ctx.state.webhook and calls next(); answers 400
 * application/problem+json naming the error code when verification fails.
 */
export function webhookMiddleware(options: WebhookMiddlewareOptions): Middleware {
  const { secret, maxBodyBytes = DEFAULT_MAX_BODY_BYTES, ...verifyOptions } = options;
  secretList(secret); // fail at start-up, not on the first delivery

  return async (ctx, next) => {
    let event: WebhookEvent;
    try {
      const request = ctx.request as { body?: unknown; rawBody?: unknown };
      const payload = await rawBody(
        ctx.req,
        { body: request.body, rawBody: request.rawBody },
        maxBodyBytes,
        FIX,
      );
      event = await verifyAsync<WebhookEvent>(payload, ctx.headers, secret, verifyOptions);
    } catch (error) {
      if (!(error instanceof WebhookVerificationError)) throw error;
      ctx.status = 400;
      ctx.type = 'application/problem+json';
      ctx.body = JSON.stringify(problemDetails(error));
      return;
    }
    ctx.state.webhook = event;
    await next();
  };
}

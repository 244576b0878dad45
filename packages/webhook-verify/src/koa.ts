import type { Middleware } from 'koa';
import { problemDetails, WebhookVerificationError } from './errors.js';
import { createRequestVerifier, type WebhookMiddlewareOptions } from './node-body.js';
import type { WebhookEvent } from './signature.js';

export type { WebhookMiddlewareOptions } from './node-body.js';

const FIX =
  'Mount the webhook middleware before the body parser, or use koa-bodyparser, which keeps the raw text ' +
  'in ctx.request.rawBody.';

/**
 * Verifies the request, then sets ctx.state.webhook and calls next(); answers 400
 * application/problem+json naming the error code when verification fails.
 */
export function webhookMiddleware(options: WebhookMiddlewareOptions): Middleware {
  const verifyRequest = createRequestVerifier(options, FIX);

  return async (ctx, next) => {
    let event: WebhookEvent;
    try {
      const request = ctx.request as { body?: unknown; rawBody?: unknown };
      event = await verifyRequest(ctx.req, { body: request.body, rawBody: request.rawBody });
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

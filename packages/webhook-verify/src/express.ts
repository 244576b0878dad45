import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { problemDetails, WebhookVerificationError } from './errors.js';
import { createRequestVerifier, type WebhookMiddlewareOptions } from './node-body.js';
import type { WebhookEvent } from './signature.js';

export type { WebhookMiddlewareOptions } from './node-body.js';

declare global {
  namespace Express {
    interface Request {
      /** The verified event, set by @acme/webhook-verify/express. */
      webhook?: WebhookEvent;
    }
  }
}

const FIX =
  "Mount express.raw({ type: 'application/json' }) on the webhook route before the webhook middleware, " +
  'or mount the webhook middleware before express.json(). In NestJS, create the app with { rawBody: true }.';

/**
 * Verifies the request, then sets req.webhook and calls next(); answers 400 application/problem+json
 * naming the error code when verification fails.
 */
export function webhookMiddleware(options: WebhookMiddlewareOptions): RequestHandler {
  const verifyRequest = createRequestVerifier(options, FIX);

  async function handle(req: Request, res: Response, next: NextFunction): Promise<void> {
    let event: WebhookEvent;
    try {
      event = await verifyRequest(req, {
        body: req.body as unknown,
        rawBody: (req as { rawBody?: unknown }).rawBody,
      });
    } catch (error) {
      if (!(error instanceof WebhookVerificationError)) throw error;
      res.statusCode = 400;
      res.setHeader('Content-Type', 'application/problem+json');
      res.end(JSON.stringify(problemDetails(error)));
      return;
    }
    req.webhook = event;
    next();
  }

  // Express 4 ignores a rejected promise, so errors are handed to next() here for both versions.
  return (req, res, next) => {
    handle(req, res, next).catch(next);
  };
}

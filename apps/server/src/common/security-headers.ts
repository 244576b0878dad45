import { Header } from '@nestjs/common';
import { NextFunction, Request, Response } from 'express';

/** Marks a route whose response holds a secret: never cached anywhere. */
export const SecretResponse = () => Header('Cache-Control', 'no-store');

/** Small, fixed security headers for every API response (an API, so no HTML-oriented policy beyond these). */
export function securityHeaders(_request: Request, response: Response, next: NextFunction): void {
  response.setHeader('X-Content-Type-Options', 'nosniff');
  response.setHeader('X-Frame-Options', 'DENY');
  response.setHeader('Referrer-Policy', 'no-referrer');
  response.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
  next();
}

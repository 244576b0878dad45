import type { IncomingMessage, ServerResponse } from 'node:http';
import { Header } from '@nestjs/common';

/** Marks a route whose response holds a secret: never cached anywhere. */
export const SecretResponse = () => Header('Cache-Control', 'no-store');

/** Small, fixed security headers for every API response (an API, so no HTML-oriented policy beyond these). */
export function securityHeaders(_request: IncomingMessage, response: ServerResponse, next: () => void): void {
  response.setHeader('X-Content-Type-Options', 'nosniff');
  response.setHeader('X-Frame-Options', 'DENY');
  response.setHeader('Referrer-Policy', 'no-referrer');
  response.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
  next();
}

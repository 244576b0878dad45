import type { IncomingMessage, ServerResponse } from 'node:http';
import { Header } from '@nestjs/common';

/** Marks a route whose response holds a secret: never cached anywhere. */
export const SecretResponse = () => Header('Cache-Control', 'no-store');

/** Small, fixed security headers for every API response (an API, so no HTML-oriented policy beyond these). */
export const SECURITY_HEADERS: readonly (readonly [string, string])[] = [
  ['X-Content-Type-Options', 'nosniff'],
  ['X-Frame-Options', 'DENY'],
  ['Referrer-Policy', 'no-referrer'],
  ['Cross-Origin-Resource-Policy', 'same-origin'],
];

/** Sets SECURITY_HEADERS on a response (middleware). */
export function securityHeaders(_request: IncomingMessage, response: ServerResponse, next: () => void): void {
  for (const [name, value] of SECURITY_HEADERS) response.setHeader(name, value);
  next();
}

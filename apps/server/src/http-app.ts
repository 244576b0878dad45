import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import { LoggerService, LogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { NestExpressApplication } from '@nestjs/platform-express';
import { NextFunction, Request, Response } from 'express';
import { AppModule } from './app.module';
import { ApiProblem, problemBody } from './common/problem';
import { ProblemFilter } from './common/problem.filter';
import { securityHeaders } from './common/security-headers';
import { RequestValidationPipe } from './common/validation';
import { AppConfig } from './config/config';
import { mountApiReference } from './openapi/openapi';

const WRITE_METHODS = new Set(['POST', 'PUT', 'PATCH']);
const JSON_TYPE = /^application\/([a-z0-9.+-]*\+)?json\s*(;|$)/i;

/** A write with a body must say it is JSON (an empty body is fine: optional bodies). */
function requireJsonBody(request: Request, _response: Response, next: NextFunction): void {
  const hasBody =
    request.headers['transfer-encoding'] !== undefined || Number(request.headers['content-length'] ?? 0) > 0;
  if (
    WRITE_METHODS.has(request.method) &&
    hasBody &&
    !JSON_TYPE.test(request.headers['content-type'] ?? '')
  ) {
    next(new ApiProblem(415, 'Send the body as JSON with `Content-Type: application/json`.'));
    return;
  }
  next();
}

/**
 * Requests Node's HTTP parser refuses before the app sees them (headers over 16 KiB, broken
 * framing, a header timeout) get a problem+json answer like every other error, not a bare status line.
 */
function answerClientError(error: NodeJS.ErrnoException, socket: Socket): void {
  if (error.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy();
    return;
  }
  const status =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? 431
      : error.code === 'ERR_HTTP_REQUEST_TIMEOUT' || error.code === 'HPE_HEADERS_TIMEOUT'
        ? 408
        : 400;
  const body = JSON.stringify(problemBody(status, 'The request could not be read as HTTP/1.1.'));
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\n` +
      'Content-Type: application/problem+json\r\nCache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\n' +
      `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

/**
 * The Nest application with everything the HTTP surface needs (body limit, problem+json errors,
 * validation, security headers, API reference), not yet listening. main.ts, the e2e harness and the
 * OpenAPI writer all build it here, so they serve exactly the same thing.
 */
export async function createHttpApp(
  config: AppConfig,
  options: { logger?: LoggerService | LogLevel[] | false } = {},
): Promise<NestExpressApplication> {
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(config), {
    bodyParser: false,
    abortOnError: false,
    logger: options.logger ?? ['warn', 'error'],
    // A failed start (say, an unreachable database) is reported once, in one line, by the caller;
    // what Nest and TypeORM logged on the way there is dropped instead of printed as stack dumps.
    bufferLogs: true,
    autoFlushLogs: false,
  });
  app.flushLogs();
  app.disable('x-powered-by');
  app.getHttpServer().on('clientError', answerClientError);
  app.use(securityHeaders);
  app.use(requireJsonBody);
  app.useBodyParser('json', {
    limit: config.maxPayloadBytes,
    type: ['application/json', 'application/*+json'],
  });
  app.useGlobalFilters(new ProblemFilter());
  app.useGlobalPipes(new RequestValidationPipe());
  if (config.role !== 'worker') mountApiReference(app);
  return app;
}

import { IncomingMessage, ServerResponse, STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import { BadRequestException, LoggerService, LogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppModule } from './app.module';
import { JSON_TYPE, readJsonBody } from './common/json-body';
import { ApiProblem, problemBody } from './common/problem';
import { ProblemFilter } from './common/problem.filter';
import { SECURITY_HEADERS, securityHeaders } from './common/security-headers';
import { RequestValidationPipe } from './common/validation';
import { AppConfig } from './config/config';
import { mountApiReference } from './openapi/openapi';

const WRITE_METHODS = new Set(['POST', 'PUT', 'PATCH']);

/** A write with a body must say it is JSON (an empty body is fine: optional bodies). */
function requireJsonBody(
  request: IncomingMessage,
  _response: ServerResponse,
  next: (error?: unknown) => void,
): void {
  const hasBody =
    request.headers['transfer-encoding'] !== undefined || Number(request.headers['content-length'] ?? 0) > 0;
  if (
    WRITE_METHODS.has(request.method ?? '') &&
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
      'Content-Type: application/problem+json\r\nCache-Control: no-store\r\n' +
      SECURITY_HEADERS.map(([name, value]) => `${name}: ${value}\r\n`).join('') +
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
): Promise<NestFastifyApplication> {
  const adapter = new FastifyAdapter({
    // Routing as express's: case-insensitive, a trailing slash ignored, no limit on a parameter's length.
    routerOptions: { caseSensitive: false, ignoreTrailingSlash: true, maxParamLength: 16 * 1024 },
    // Node's own server timeouts, which Fastify would change (keep-alive 5 s as documented).
    keepAliveTimeout: 5_000,
    requestTimeout: 300_000,
    // While shutting down, a request already on an open connection is served (the connection then
    // closes) instead of getting Fastify's bare 503, which no hook, header or problem+json reaches.
    return503OnClosing: false,
    clientErrorHandler: answerClientError,
    // A path Fastify's router cannot decode (`/webhook-endpoints/%ZZ`) is answered before any hook
    // or middleware runs: it gets the security headers and a problem+json 400 here.
    frameworkErrors: (_error: Error, request: FastifyRequest, reply: FastifyReply) => {
      securityHeaders(request.raw, reply.raw, () =>
        problems.send(new BadRequestException('The request path is not valid percent-encoding.'), reply),
      );
    },
  });
  const problems = new ProblemFilter(adapter);
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(config), adapter, {
    bodyParser: false,
    abortOnError: false,
    logger: options.logger ?? ['warn', 'error'],
    // A failed start (say, an unreachable database) is reported once, in one line, by the caller;
    // what Nest and TypeORM logged on the way there is dropped instead of printed as stack dumps.
    bufferLogs: true,
    autoFlushLogs: false,
  });
  app.flushLogs();
  app.use(securityHeaders);
  app.use(requireJsonBody);
  // One parser for every content type: JSON is read like express's json() body parser would
  // (json-body.ts); anything else is left unread, as express left it.
  const fastify = app.getHttpAdapter().getInstance();
  fastify.removeAllContentTypeParsers();
  fastify.addContentTypeParser('*', (request, _payload, done) => {
    readJsonBody(request.raw, config.maxPayloadBytes).then(
      (body) => done(null, body),
      (error: Error) => done(error, undefined),
    );
  });
  app.useGlobalFilters(problems);
  app.useGlobalPipes(new RequestValidationPipe());
  if (config.role !== 'worker') mountApiReference(app);
  return app;
}

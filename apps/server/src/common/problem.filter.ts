import type { HttpServer } from '@nestjs/common';
import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import { ulid } from 'ulid';
import { ApiProblem, ProblemBody, problemBody } from './problem';

/**
 * An error thrown while reading a request body (see json-body.ts, shaped like express's body-parser
 * errors, http-errors): it carries a 4xx status and usually a
 * `type`; a body that fails to decompress (`Content-Encoding: gzip` over plain bytes) comes without
 * one, marked only `expose`.
 */
interface BodyParserError {
  status: number;
  type?: string;
  expose?: boolean;
  limit?: number;
}

function isBodyParserError(error: unknown): error is BodyParserError {
  const candidate = error as Partial<BodyParserError> | null;
  return (
    (typeof candidate?.type === 'string' || candidate?.expose === true) &&
    typeof candidate.status === 'number' &&
    candidate.status >= 400 &&
    candidate.status < 500
  );
}

/** A client error Fastify raises itself (say, FST_ERR_CTP_INVALID_MEDIA_TYPE for a malformed Content-Type). */
interface FrameworkClientError {
  code: string;
  statusCode: number;
  message: string;
}

function isFrameworkClientError(error: unknown): error is FrameworkClientError {
  const candidate = error as Partial<FrameworkClientError> | null;
  return (
    typeof candidate?.code === 'string' &&
    candidate.code.startsWith('FST_') &&
    typeof candidate.statusCode === 'number' &&
    candidate.statusCode >= 400 &&
    candidate.statusCode < 500
  );
}

/**
 * The one place errors become responses: `application/problem+json`. Known HTTP errors keep their
 * status and message; anything else is a 500 carrying only an error id, which is also logged with
 * the stack so an operator can find it.
 */
@Catch()
export class ProblemFilter implements ExceptionFilter {
  private readonly logger = new Logger('Errors');

  constructor(private readonly adapter: HttpServer) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    this.send(exception, host.switchToHttp().getResponse());
  }

  /** Answers `response` with the problem for `exception` (also for errors raised outside Nest's routing). */
  send(exception: unknown, response: unknown): void {
    const body = this.toProblem(exception);
    if (this.adapter.isHeadersSent(response)) return;
    this.adapter.setHeader(response, 'Cache-Control', 'no-store');
    this.adapter.setHeader(response, 'Content-Type', 'application/problem+json; charset=utf-8');
    this.adapter.reply(response, JSON.stringify(body), body.status);
  }

  private toProblem(exception: unknown): ProblemBody {
    if (exception instanceof ApiProblem) return exception.body;
    if (isBodyParserError(exception)) return this.bodyParserProblem(exception);
    if (isFrameworkClientError(exception)) return problemBody(exception.statusCode, exception.message);
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      if (status < 500) return problemBody(status, this.clientDetail(exception, status));
    }
    const errorId = `err_${ulid()}`;
    this.logger.error(
      `${errorId}: ${exception instanceof Error ? (exception.stack ?? exception.message) : String(exception)}`,
    );
    return problemBody(500, `Something went wrong on our side. Error id: ${errorId}.`);
  }

  private bodyParserProblem(error: BodyParserError): ProblemBody {
    switch (error.type) {
      case 'entity.too.large':
        return problemBody(413, `The request body is larger than ${error.limit ?? 'the limit of'} bytes.`);
      case 'encoding.unsupported':
        return problemBody(
          415,
          'The request body must be sent as is or with Content-Encoding gzip, deflate or br.',
        );
      case 'charset.unsupported':
        return problemBody(415, 'The request body must be UTF-8 JSON.');
      default:
        return problemBody(400, 'The request body could not be read.');
    }
  }

  private clientDetail(exception: HttpException, status: number): string {
    if (status === 404) return 'No such route.';
    const cause = exception.cause ?? exception.message;
    // Nest maps body-parser's SyntaxError to a BadRequestException with the parser's message.
    if (status === 400 && /JSON|Unexpected token|position/i.test(String(cause))) {
      return 'The request body is not valid JSON.';
    }
    return exception.message;
  }
}

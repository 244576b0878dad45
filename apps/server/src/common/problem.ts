import { HttpException } from '@nestjs/common';

/** One bad input: `field` is the snake_case path as the client sent it (`events[0]`, `headers`). */
export interface FieldError {
  field: string;
  message: string;
}

export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail: string;
  errors: FieldError[];
}

const TITLES: Record<number, [slug: string, title: string]> = {
  400: ['invalid-request', 'Invalid request'],
  401: ['unauthorized', 'Missing or invalid API key'],
  403: ['forbidden', 'Forbidden'],
  404: ['not-found', 'Not found'],
  405: ['method-not-allowed', 'Method not allowed'],
  408: ['request-timeout', 'Request timeout'],
  409: ['conflict', 'Conflict'],
  413: ['payload-too-large', 'Payload too large'],
  415: ['unsupported-media-type', 'Unsupported media type'],
  429: ['rate-limited', 'Too many requests'],
  431: ['request-header-fields-too-large', 'Request header fields too large'],
  500: ['internal', 'Internal server error'],
  503: ['unavailable', 'Service unavailable'],
};

/** The problem `type` URI for a slug; docs/api.md lists them. */
export function problemType(slug: string): string {
  return `urn:acme-webhooks:problem:${slug}`;
}

export function problemBody(
  status: number,
  detail: string,
  errors: FieldError[] = [],
  slug?: string,
): ProblemBody {
  const [defaultSlug, title] = TITLES[status] ?? [status >= 500 ? 'internal' : 'error', `HTTP ${status}`];
  return { type: problemType(slug ?? defaultSlug), title, status, detail, errors };
}

/** An HTTP error the client should see as it is, rendered as application/problem+json by the filter. */
export class ApiProblem extends HttpException {
  readonly body: ProblemBody;

  constructor(status: number, detail: string, errors: FieldError[] = [], slug?: string) {
    super(detail, status);
    this.body = problemBody(status, detail, errors, slug);
  }

  static invalid(errors: FieldError[], detail?: string): ApiProblem {
    return new ApiProblem(
      400,
      detail ?? `Invalid ${errors.map((error) => error.field).join(', ') || 'request'}.`,
      errors,
    );
  }

  static invalidField(field: string, message: string): ApiProblem {
    return ApiProblem.invalid([{ field, message }]);
  }

  static notFound(what: string, id: string): ApiProblem {
    return new ApiProblem(404, `No ${what} ${id}.`);
  }

  static forbidden(detail: string, field?: string): ApiProblem {
    return new ApiProblem(403, detail, field ? [{ field, message: detail }] : []);
  }

  static conflict(detail: string, slug?: string): ApiProblem {
    return new ApiProblem(409, detail, [], slug);
  }
}

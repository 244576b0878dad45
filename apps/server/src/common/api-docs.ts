import { applyDecorators, Type } from '@nestjs/common';
import { ApiExtraModels, ApiProperty, ApiResponse, getSchemaPath } from '@nestjs/swagger';

export class FieldErrorDto {
  @ApiProperty({ example: 'events[0]' })
  field: string;

  @ApiProperty({ example: 'must be an event type (letters, digits, _, - and dots), "prefix.*" or "*"' })
  message: string;
}

/** The application/problem+json error body. */
export class ProblemDto {
  @ApiProperty({ example: 'urn:acme-webhooks:problem:invalid-request' })
  type: string;

  @ApiProperty({ example: 'Invalid request' })
  title: string;

  @ApiProperty({ example: 400 })
  status: number;

  @ApiProperty({ example: 'Invalid url, events[0].' })
  detail: string;

  @ApiProperty({ type: [FieldErrorDto] })
  errors: FieldErrorDto[];
}

/**
 * Documents the problem responses a route can give. A route that authenticates (401) is also rate
 * limited per API key, so 429 comes with it.
 */
export function ApiProblems(...statuses: number[]) {
  const documented = statuses.includes(401) ? [...statuses, 429] : statuses;
  return applyDecorators(
    ...documented.map((status) =>
      ApiResponse({
        status,
        description: PROBLEM_DESCRIPTIONS[status] ?? 'Error',
        content: { 'application/problem+json': { schema: { $ref: getSchemaPath(ProblemDto) } } },
        ...(status === 429
          ? { headers: { 'Retry-After': { description: 'Seconds to wait', schema: { type: 'integer' } } } }
          : {}),
      }),
    ),
    ApiExtraModels(ProblemDto),
  );
}

const PROBLEM_DESCRIPTIONS: Record<number, string> = {
  400: 'Invalid input: `errors` names every bad field; nothing was stored.',
  401: 'No or bad API key.',
  403: 'The API key may not do this (another tenant, or admin only).',
  404: 'Unknown id, or another tenant’s.',
  409: 'Conflict with the resource’s state.',
  413: 'Body larger than WEBHOOKS_MAX_PAYLOAD_BYTES.',
  415: 'Body is not JSON.',
  429: 'Too many requests with this API key; retry after `Retry-After` seconds.',
};

/** Documents a `{"data":[…],"next_cursor"}` page of `model`. */
export function ApiPage(model: Type<unknown>) {
  return applyDecorators(
    ApiExtraModels(model),
    ApiResponse({
      status: 200,
      schema: {
        type: 'object',
        required: ['data', 'next_cursor'],
        properties: {
          data: { type: 'array', items: { $ref: getSchemaPath(model) } },
          next_cursor: { type: 'string', nullable: true, description: 'Pass as `cursor` for the next page.' },
        },
      },
    }),
  );
}

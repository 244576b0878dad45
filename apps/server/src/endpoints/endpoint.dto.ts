import { ApiProperty, ApiPropertyOptional, PartialType } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
} from 'class-validator';
import { TENANT_ID, TENANT_ID_MESSAGE } from '../auth/api-key.dto';
import { ListQuery } from '../common/list-query.dto';
import { EachItem } from '../common/validation';
import { Optional, Satisfies } from '../common/validators';
import { MAX_ENDPOINT_URL_LENGTH } from '../net/url-policy';
import type { DisabledReason, EndpointStatus } from './endpoint.entity';
import { headersProblem, metadataProblem } from './endpoint-rules';
import { eventPatternProblem } from './event-patterns';

export const DEFAULT_MAX_CONCURRENCY = 10;
export const DEFAULT_ROTATION_GRACE_SECONDS = 86_400;
export const MAX_ROTATION_GRACE_SECONDS = 604_800;

export class CreateEndpointDto {
  @ApiProperty({ example: 'https://example.com/webhooks', maxLength: MAX_ENDPOINT_URL_LENGTH })
  @IsString()
  @MaxLength(MAX_ENDPOINT_URL_LENGTH, {
    message: `must be at most ${MAX_ENDPOINT_URL_LENGTH} characters long`,
  })
  url: string;

  @ApiProperty({
    example: ['invoice.paid', 'customer.*'],
    description: 'Exact event types, prefix wildcards (`invoice.*`) or `*`.',
  })
  @IsArray({ message: 'must be an array of event types or patterns' })
  @ArrayMinSize(1, { message: 'must name at least one event type or pattern' })
  @ArrayMaxSize(100, { message: 'may hold at most 100 patterns' })
  @EachItem(eventPatternProblem)
  events: string[];

  @ApiPropertyOptional({ type: String, nullable: true, maxLength: 500 })
  @IsOptional()
  @IsString()
  @MaxLength(500, { message: 'must be at most 500 characters' })
  description?: string | null;

  @ApiPropertyOptional({ default: 'default', example: 'acme-corp' })
  @Optional()
  @IsString()
  @Matches(TENANT_ID, { message: TENANT_ID_MESSAGE })
  tenant_id?: string;

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: { type: 'string' },
    example: { Authorization: 'Bearer 123' },
    description:
      'Added to every delivery. Reserved: Content-Type, User-Agent, Host, Content-Length, X-Webhook-*, webhook-*.',
  })
  @Optional()
  @Satisfies(headersProblem)
  headers?: Record<string, string>;

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: { type: 'string' },
    example: { team: 'billing' },
  })
  @Optional()
  @Satisfies(metadataProblem)
  metadata?: Record<string, string>;

  @ApiPropertyOptional({ minimum: 1, maximum: 100, default: DEFAULT_MAX_CONCURRENCY })
  @Optional()
  @IsInt({ message: 'must be an integer from 1 to 100' })
  @Min(1, { message: 'must be an integer from 1 to 100' })
  @Max(100, { message: 'must be an integer from 1 to 100' })
  max_concurrency?: number;

  @ApiPropertyOptional({ type: Number, nullable: true, minimum: 1, maximum: 10_000 })
  @IsOptional()
  @IsInt({ message: 'must be an integer from 1 to 10000, or null' })
  @Min(1, { message: 'must be an integer from 1 to 10000, or null' })
  @Max(10_000, { message: 'must be an integer from 1 to 10000, or null' })
  rate_limit_per_second?: number | null;
}

/** PATCH: any field of POST (null clears `description` and `rate_limit_per_second`), plus `status`. */
export class UpdateEndpointDto extends PartialType(CreateEndpointDto, { skipNullProperties: false }) {
  @ApiPropertyOptional({ enum: ['enabled', 'disabled'] })
  @Optional()
  @IsIn(['enabled', 'disabled'], { message: 'must be enabled or disabled' })
  status?: EndpointStatus;
}

export class ListEndpointsQuery extends ListQuery {
  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @Matches(TENANT_ID, { message: TENANT_ID_MESSAGE })
  tenant_id?: string;
}

export class RotateSecretDto {
  @ApiPropertyOptional({
    minimum: 0,
    maximum: MAX_ROTATION_GRACE_SECONDS,
    default: DEFAULT_ROTATION_GRACE_SECONDS,
  })
  @Optional()
  @IsInt({ message: `must be an integer from 0 to ${MAX_ROTATION_GRACE_SECONDS}` })
  @Min(0, { message: `must be an integer from 0 to ${MAX_ROTATION_GRACE_SECONDS}` })
  @Max(MAX_ROTATION_GRACE_SECONDS, { message: `must be an integer from 0 to ${MAX_ROTATION_GRACE_SECONDS}` })
  grace_period_seconds?: number;
}

export class EndpointDto {
  @ApiProperty({ example: 'wh_01JH2Y4S8M1V8X9Q2W3E4R5T6Y' })
  id: string;

  @ApiProperty()
  url: string;

  @ApiProperty({ type: [String] })
  events: string[];

  @ApiProperty({ type: String, nullable: true })
  description: string | null;

  @ApiProperty()
  tenant_id: string;

  @ApiProperty({ enum: ['enabled', 'disabled'] })
  status: EndpointStatus;

  @ApiProperty({ enum: ['manual', 'gone', 'failing'], nullable: true, type: String })
  disabled_reason: DisabledReason | null;

  @ApiProperty({ type: 'object', additionalProperties: { type: 'string' } })
  headers: Record<string, string>;

  @ApiProperty({ type: 'object', additionalProperties: { type: 'string' } })
  metadata: Record<string, string>;

  @ApiProperty()
  max_concurrency: number;

  @ApiProperty({ type: Number, nullable: true })
  rate_limit_per_second: number | null;

  @ApiProperty({ format: 'date-time' })
  created_at: string;

  @ApiProperty({ format: 'date-time' })
  updated_at: string;
}

export class CreatedEndpointDto extends EndpointDto {
  @ApiProperty({ example: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', description: 'Signing secret' })
  secret: string;
}

export class EndpointSecretDto {
  @ApiProperty({ example: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' })
  secret: string;
}

import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import { TENANT_ID, TENANT_ID_MESSAGE } from '../auth/api-key.dto';
import { CreatedWindowQuery } from '../common/list-query.dto';
import { ATTEMPT_ERROR_CODES } from '../net/attempt-error';
import {
  DELIVERY_STATUSES,
  DELIVERY_TRIGGERS,
  type DeliveryStatus,
  type DeliveryTrigger,
} from './delivery.entity';

export class ListDeliveriesQuery extends CreatedWindowQuery {
  @ApiPropertyOptional({ enum: DELIVERY_STATUSES })
  @IsOptional()
  @IsIn(DELIVERY_STATUSES, { message: `must be one of ${DELIVERY_STATUSES.join(', ')}` })
  status?: DeliveryStatus;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MaxLength(100, { message: 'must be at most 100 characters' })
  endpoint_id?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MaxLength(100, { message: 'must be at most 100 characters' })
  event_id?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @Matches(TENANT_ID, { message: TENANT_ID_MESSAGE })
  tenant_id?: string;
}

export class DeliveryDto {
  @ApiProperty({ example: 'dlv_01JH2Y4S8M1V8X9Q2W3E4R5T6Y' })
  id: string;

  @ApiProperty()
  event_id: string;

  @ApiProperty()
  endpoint_id: string;

  @ApiProperty()
  tenant_id: string;

  @ApiProperty({ enum: DELIVERY_STATUSES })
  status: DeliveryStatus;

  @ApiProperty({ description: 'Attempts made so far' })
  attempts: number;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  next_attempt_at: string | null;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  last_attempt_at: string | null;

  @ApiProperty({ type: Number, nullable: true })
  last_status_code: number | null;

  @ApiProperty({
    type: String,
    nullable: true,
    enum: ATTEMPT_ERROR_CODES,
  })
  last_error: string | null;

  @ApiProperty({ enum: DELIVERY_TRIGGERS })
  trigger: DeliveryTrigger;

  @ApiProperty({ format: 'date-time' })
  created_at: string;

  @ApiProperty({ format: 'date-time' })
  updated_at: string;
}

export class AttemptRequestDto {
  @ApiProperty()
  url: string;

  @ApiProperty({ type: 'object', additionalProperties: { type: 'string' } })
  headers: Record<string, string>;
}

export class AttemptResponseDto {
  @ApiProperty()
  status: number;

  @ApiProperty({ type: 'object', additionalProperties: { type: 'string' } })
  headers: Record<string, string>;

  @ApiProperty({ description: 'Up to 16 KiB of the body' })
  body: string;

  @ApiProperty()
  body_truncated: boolean;
}

export class AttemptErrorDto {
  @ApiProperty({
    enum: ATTEMPT_ERROR_CODES,
  })
  code: string;

  @ApiProperty()
  message: string;
}

export class AttemptDto {
  @ApiProperty({ example: 'att_01JH2Y4S8M1V8X9Q2W3E4R5T6Y' })
  id: string;

  @ApiProperty()
  delivery_id: string;

  @ApiProperty()
  attempt_number: number;

  @ApiProperty({ enum: ['scheduled', 'manual'] })
  trigger: string;

  @ApiProperty({ format: 'date-time' })
  started_at: string;

  @ApiProperty()
  duration_ms: number;

  @ApiProperty({ type: AttemptRequestDto })
  request: AttemptRequestDto;

  @ApiProperty({ type: AttemptResponseDto, nullable: true })
  response: AttemptResponseDto | null;

  @ApiProperty({ type: AttemptErrorDto, nullable: true })
  error: AttemptErrorDto | null;
}

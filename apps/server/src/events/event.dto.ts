import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, Matches } from 'class-validator';
import { TENANT_ID, TENANT_ID_MESSAGE } from '../auth/api-key.dto';
import { CreatedWindowQuery } from '../common/list-query.dto';
import type { FieldError } from '../common/problem';
import { EVENT_TYPE } from '../endpoints/event-patterns';
import { eventDataProblem } from './event-payload';

const TYPE_MESSAGE = 'must be 1–200 letters, digits, _, - and dots';

/**
 * The publish body. Checked by hand (`check`, see HandChecked in common/validation.ts), not by
 * class-validator: it is the hottest route, and the rules are three fields.
 */
export class PublishEventDto {
  static readonly fields = ['type', 'data', 'tenant_id'] as const;

  static check(input: Record<string, unknown>): FieldError[] {
    const errors: FieldError[] = [];
    const { type, data, tenant_id } = input;
    if (typeof type !== 'string' || !EVENT_TYPE.test(type))
      errors.push({ field: 'type', message: TYPE_MESSAGE });
    if (data === null || typeof data !== 'object' || Array.isArray(data)) {
      errors.push({ field: 'data', message: 'must be a JSON object' });
    } else {
      const problem = eventDataProblem(data);
      if (problem) errors.push({ field: 'data', message: problem });
    }
    if (tenant_id !== undefined && (typeof tenant_id !== 'string' || !TENANT_ID.test(tenant_id))) {
      errors.push({ field: 'tenant_id', message: TENANT_ID_MESSAGE });
    }
    return errors;
  }

  @ApiProperty({ example: 'invoice.paid', pattern: EVENT_TYPE.source })
  type: string;

  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    example: { invoice_id: 'in_123', amount: 4200 },
  })
  data: Record<string, unknown>;

  @ApiPropertyOptional({ default: 'default' })
  tenant_id?: string;
}

export class ListEventsQuery extends CreatedWindowQuery {
  @ApiPropertyOptional({ description: 'Exact event type' })
  @IsOptional()
  @IsString({ message: TYPE_MESSAGE })
  @Matches(EVENT_TYPE, { message: TYPE_MESSAGE })
  type?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @Matches(TENANT_ID, { message: TENANT_ID_MESSAGE })
  tenant_id?: string;
}

export class EventDto {
  @ApiProperty({ example: 'evt_01JH2Y4S8M1V8X9Q2W3E4R5T6Y' })
  id: string;

  @ApiProperty({ example: 'invoice.paid' })
  type: string;

  @ApiProperty({ example: 'default' })
  tenant_id: string;

  @ApiProperty({ format: 'date-time' })
  created_at: string;

  @ApiProperty({ type: 'object', additionalProperties: true })
  data: Record<string, unknown>;
}

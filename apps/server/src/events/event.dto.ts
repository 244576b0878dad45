import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsObject, IsOptional, IsString, Matches } from 'class-validator';
import { TENANT_ID, TENANT_ID_MESSAGE } from '../auth/api-key.dto';
import { CreatedWindowQuery } from '../common/list-query.dto';
import { Optional, Satisfies } from '../common/validators';
import { EVENT_TYPE } from '../endpoints/event-patterns';
import { eventDataProblem } from './event-payload';

const TYPE_MESSAGE = 'must be 1–200 letters, digits, _, - and dots';

export class PublishEventDto {
  @ApiProperty({ example: 'invoice.paid', pattern: EVENT_TYPE.source })
  @IsString({ message: TYPE_MESSAGE })
  @Matches(EVENT_TYPE, { message: TYPE_MESSAGE })
  type: string;

  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    example: { invoice_id: 'in_123', amount: 4200 },
  })
  @IsObject({ message: 'must be a JSON object' })
  @Satisfies(eventDataProblem)
  data: Record<string, unknown>;

  @ApiPropertyOptional({ default: 'default' })
  @Optional()
  @IsString()
  @Matches(TENANT_ID, { message: TENANT_ID_MESSAGE })
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

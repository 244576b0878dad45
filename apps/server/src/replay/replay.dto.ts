import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsBoolean, IsIn, IsString } from 'class-validator';
import { isId } from '../common/ids';
import { EachItem } from '../common/validation';
import { IsTimestamp, Optional } from '../common/validators';
import { DeliveryDto } from '../deliveries/delivery.dto';
import { eventPatternProblem } from '../endpoints/event-patterns';
import { REPLAY_MODES, type ReplayMode, type ReplayStatus } from './replay.entity';

const TIMESTAMP_MESSAGE = 'must be an ISO-8601 timestamp, e.g. 2025-01-13T00:00:00Z';

export class ReplayEventDto {
  @ApiPropertyOptional({
    type: [String],
    example: ['wh_01JH2Y4S8M1V8X9Q2W3E4R5T6Y'],
    description:
      "Endpoints to deliver to; left out: every enabled endpoint of the event's tenant subscribed to it.",
  })
  @Optional()
  @IsArray({ message: 'must be an array of endpoint ids' })
  @ArrayMinSize(1, { message: 'must name at least one endpoint (or leave it out for every subscribed one)' })
  @ArrayMaxSize(100, { message: 'may name at most 100 endpoints' })
  @EachItem((item) =>
    typeof item === 'string' && isId(item, 'wh')
      ? null
      : 'must be an endpoint id as the API returns them (wh_ and 26 letters and digits)',
  )
  endpoint_ids?: string[];
}

export class EventReplayDto {
  @ApiProperty({
    type: [DeliveryDto],
    description:
      'One delivery per endpoint: a new one (trigger `replay`), or the one still pending or retrying.',
  })
  deliveries: DeliveryDto[];
}

export class ReplayEndpointDto {
  @ApiProperty({ format: 'date-time', description: 'Window start (included)' })
  @IsString({ message: TIMESTAMP_MESSAGE })
  @IsTimestamp(TIMESTAMP_MESSAGE)
  since: string;

  @ApiPropertyOptional({ format: 'date-time', description: 'Window end (included); default now' })
  @Optional()
  @IsString({ message: TIMESTAMP_MESSAGE })
  @IsTimestamp(TIMESTAMP_MESSAGE)
  until?: string;

  @ApiPropertyOptional({
    type: [String],
    example: ['invoice.*'],
    description: "Only these event types (exact, `prefix.*` or `*`), within the endpoint's subscription.",
  })
  @Optional()
  @IsArray({ message: 'must be an array of event types or patterns' })
  @ArrayMinSize(1, { message: 'must name at least one event type or pattern' })
  @ArrayMaxSize(100, { message: 'may hold at most 100 patterns' })
  @EachItem(eventPatternProblem)
  types?: string[];

  @ApiPropertyOptional({
    enum: REPLAY_MODES,
    default: 'undelivered',
    description: '`undelivered`: events with no succeeded delivery to the endpoint; `all`: every event.',
  })
  @Optional()
  @IsIn(REPLAY_MODES, { message: `must be one of ${REPLAY_MODES.join(', ')}` })
  only?: ReplayMode;

  @ApiPropertyOptional({ default: false, description: 'Only count; allowed on a disabled endpoint.' })
  @Optional()
  @IsBoolean({ message: 'must be true or false' })
  dry_run?: boolean;
}

export class ReplayDto {
  @ApiProperty({ example: 'rpl_01JH2Y4S8M1V8X9Q2W3E4R5T6Y' })
  id: string;

  @ApiProperty({ enum: ['running', 'completed', 'failed'] })
  status: ReplayStatus;

  @ApiProperty({ description: 'Events that matched when the replay was made' })
  matched: number;

  @ApiProperty({ description: 'Deliveries enqueued so far (always 0 for a dry run)' })
  enqueued: number;

  @ApiProperty()
  endpoint_id: string;

  @ApiProperty()
  tenant_id: string;

  @ApiProperty({ format: 'date-time' })
  since: string;

  @ApiProperty({ format: 'date-time' })
  until: string;

  @ApiProperty({ type: [String], nullable: true })
  types: string[] | null;

  @ApiProperty({ enum: REPLAY_MODES })
  only: ReplayMode;

  @ApiProperty()
  dry_run: boolean;

  @ApiProperty({ type: String, nullable: true, description: 'Why the replay failed' })
  error: string | null;

  @ApiProperty({ format: 'date-time' })
  created_at: string;

  @ApiProperty({ format: 'date-time' })
  updated_at: string;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  completed_at: string | null;
}

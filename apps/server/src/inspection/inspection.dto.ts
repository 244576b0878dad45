import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsObject, IsString, Matches } from 'class-validator';
import { Optional, Satisfies } from '../common/validators';
import { AttemptDto, DeliveryDto } from '../deliveries/delivery.dto';
import { EVENT_TYPE } from '../endpoints/event-patterns';
import { eventDataProblem } from '../events/event-payload';

const TYPE_MESSAGE = 'must be 1–200 letters, digits, _, - and dots';

export const DEFAULT_TEST_EVENT_TYPE = 'webhook.test';

export class TestEndpointDto {
  @ApiPropertyOptional({ default: DEFAULT_TEST_EVENT_TYPE, pattern: EVENT_TYPE.source })
  @Optional()
  @IsString({ message: TYPE_MESSAGE })
  @Matches(EVENT_TYPE, { message: TYPE_MESSAGE })
  type?: string;

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: true,
    description: 'The event data; default a short message saying it is a test.',
  })
  @Optional()
  @IsObject({ message: 'must be a JSON object' })
  @Satisfies(eventDataProblem)
  data?: Record<string, unknown>;
}

export class TestDeliveryDto {
  @ApiProperty({ type: DeliveryDto, description: 'The test delivery (trigger `test`), settled' })
  delivery: DeliveryDto;

  @ApiProperty({ type: AttemptDto, description: 'Its one attempt: status, duration and response body' })
  attempt: AttemptDto;
}

export const STATS_WINDOWS = { '1h': 3_600_000, '24h': 86_400_000, '7d': 604_800_000 } as const;
export type StatsWindow = keyof typeof STATS_WINDOWS;
const WINDOW_NAMES = Object.keys(STATS_WINDOWS) as StatsWindow[];

export class StatsQuery {
  @ApiPropertyOptional({ enum: WINDOW_NAMES, default: '24h' })
  @Optional()
  @IsIn(WINDOW_NAMES, { message: `must be one of ${WINDOW_NAMES.join(', ')}` })
  window?: StatsWindow;
}

export class LatencyDto {
  @ApiProperty({ type: Number, nullable: true })
  p50: number | null;

  @ApiProperty({ type: Number, nullable: true })
  p95: number | null;

  @ApiProperty({ type: Number, nullable: true })
  p99: number | null;
}

export class EndpointStatsDto {
  @ApiProperty({ enum: WINDOW_NAMES })
  window: StatsWindow;

  @ApiProperty({ description: 'Attempts started in the window (test deliveries excluded)' })
  attempts: number;

  @ApiProperty({ description: 'Attempts answered with a 2xx' })
  succeeded: number;

  @ApiProperty()
  failed: number;

  @ApiProperty({
    type: Number,
    nullable: true,
    description: 'succeeded / attempts, 0–1; null without attempts',
  })
  success_rate: number | null;

  @ApiProperty({
    type: LatencyDto,
    description: 'Attempt durations in ms (nearest rank); null without attempts',
  })
  latency_ms: LatencyDto;

  @ApiProperty({ description: 'Deliveries pending or retrying now' })
  pending: number;

  @ApiProperty({ description: 'Dead deliveries (the dead-letter queue), within retention' })
  dead: number;

  @ApiProperty()
  consecutive_failures: number;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  failing_since: string | null;
}

import { Body, Controller, Get, Headers, HttpCode, Param, Post, Query } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBearerAuth,
  ApiHeader,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { Caller, CurrentCaller } from '../auth/caller';
import { ApiPage, ApiProblems } from '../common/api-docs';
import { ListQuery } from '../common/list-query.dto';
import { DeliveryDto } from '../deliveries/delivery.dto';
import { EventDto, ListEventsQuery, PublishEventDto } from './event.dto';
import { EventsService } from './events.service';

@ApiTags('Events')
@ApiBearerAuth()
@ApiProblems(400, 401, 403)
@Controller('events')
export class EventsController {
  constructor(private readonly events: EventsService) {}

  @Post()
  @HttpCode(202)
  @ApiOperation({ summary: 'Publish an event: fans out to every subscribed, enabled endpoint of its tenant' })
  @ApiHeader({
    name: 'Idempotency-Key',
    required: false,
    description:
      'Same key (per tenant) within 24 h returns the first event and creates nothing; a different body → 409.',
  })
  @ApiAcceptedResponse({ type: EventDto })
  @ApiProblems(409, 413, 415)
  publish(
    @CurrentCaller() caller: Caller,
    @Body() body: PublishEventDto,
    @Headers('idempotency-key') idempotencyKey: string | undefined,
  ): Promise<EventDto> {
    return this.events.publish(caller, body, idempotencyKey);
  }

  @Get()
  @ApiOperation({ summary: 'List events, newest first' })
  @ApiPage(EventDto)
  list(@CurrentCaller() caller: Caller, @Query() query: ListEventsQuery) {
    return this.events.list(caller, query);
  }

  @Get(':id')
  @ApiOperation({ summary: 'Get an event' })
  @ApiOkResponse({ type: EventDto })
  @ApiProblems(404)
  get(@CurrentCaller() caller: Caller, @Param('id') id: string): Promise<EventDto> {
    return this.events.get(caller, id);
  }

  @Get(':id/deliveries')
  @ApiOperation({ summary: 'List the deliveries of an event, newest first' })
  @ApiPage(DeliveryDto)
  @ApiProblems(404)
  deliveries(@CurrentCaller() caller: Caller, @Param('id') id: string, @Query() query: ListQuery) {
    return this.events.deliveriesOf(caller, id, query);
  }
}

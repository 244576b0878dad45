import { Body, Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiAcceptedResponse, ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Caller, CurrentCaller } from '../auth/caller';
import { ApiProblems } from '../common/api-docs';
import { EndpointReplayService } from './endpoint-replay.service';
import { EventReplayService } from './event-replay.service';
import { EventReplayDto, ReplayDto, ReplayEndpointDto, ReplayEventDto } from './replay.dto';

@ApiTags('Events')
@ApiBearerAuth()
@ApiProblems(400, 401, 403, 404, 409)
@Controller('events')
export class EventReplayController {
  constructor(private readonly replays: EventReplayService) {}

  @Post(':id/replay')
  @HttpCode(202)
  @ApiOperation({
    summary: 'Deliver an event again (same body and id) to the named endpoints or every subscribed one',
  })
  @ApiAcceptedResponse({ type: EventReplayDto })
  replay(
    @CurrentCaller() caller: Caller,
    @Param('id') id: string,
    @Body() body: ReplayEventDto,
  ): Promise<EventReplayDto> {
    return this.replays.replay(caller, id, body ?? {});
  }
}

@ApiTags('Endpoints')
@ApiBearerAuth()
@ApiProblems(400, 401, 403, 404, 409)
@Controller('webhook-endpoints')
export class EndpointReplayController {
  constructor(private readonly replays: EndpointReplayService) {}

  @Post(':id/replay')
  @HttpCode(202)
  @ApiOperation({
    summary: 'Re-send what an endpoint missed in a time window, in the background; `dry_run` only counts',
  })
  @ApiAcceptedResponse({ type: ReplayDto })
  replay(
    @CurrentCaller() caller: Caller,
    @Param('id') id: string,
    @Body() body: ReplayEndpointDto,
  ): Promise<ReplayDto> {
    return this.replays.start(caller, id, body);
  }
}

@ApiTags('Replays')
@ApiBearerAuth()
@ApiProblems(401, 404)
@Controller('replays')
export class ReplaysController {
  constructor(private readonly replays: EndpointReplayService) {}

  @Get(':id')
  @ApiOperation({ summary: 'The progress of an endpoint replay' })
  @ApiOkResponse({ type: ReplayDto })
  get(@CurrentCaller() caller: Caller, @Param('id') id: string): Promise<ReplayDto> {
    return this.replays.get(caller, id);
  }
}

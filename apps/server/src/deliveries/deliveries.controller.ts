import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Caller, CurrentCaller } from '../auth/caller';
import { ApiPage, ApiProblems } from '../common/api-docs';
import { ListQuery } from '../common/list-query.dto';
import { DeliveriesService } from './deliveries.service';
import { AttemptDto, DeliveryDto, ListDeliveriesQuery } from './delivery.dto';

@ApiTags('Deliveries')
@ApiBearerAuth()
@ApiProblems(400, 401, 403)
@Controller('deliveries')
export class DeliveriesController {
  constructor(private readonly deliveries: DeliveriesService) {}

  @Get()
  @ApiOperation({ summary: 'List deliveries, newest first' })
  @ApiPage(DeliveryDto)
  list(@CurrentCaller() caller: Caller, @Query() query: ListDeliveriesQuery) {
    return this.deliveries.list(caller, query);
  }

  @Get(':id')
  @ApiOperation({ summary: 'Get a delivery' })
  @ApiOkResponse({ type: DeliveryDto })
  @ApiProblems(404)
  get(@CurrentCaller() caller: Caller, @Param('id') id: string): Promise<DeliveryDto> {
    return this.deliveries.get(caller, id);
  }

  @Get(':id/attempts')
  @ApiOperation({ summary: 'List the attempts of a delivery, in attempt order' })
  @ApiPage(AttemptDto)
  @ApiProblems(404)
  attempts(@CurrentCaller() caller: Caller, @Param('id') id: string, @Query() query: ListQuery) {
    return this.deliveries.attempts(caller, id, query);
  }
}

import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiAcceptedResponse, ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Caller, CurrentCaller } from '../auth/caller';
import { ApiProblems } from '../common/api-docs';
import { DeliveryDto } from '../deliveries/delivery.dto';
import { DeliveryRetryService } from './delivery-retry.service';
import { EndpointStatsService } from './endpoint-stats.service';
import { EndpointTestService } from './endpoint-test.service';
import { EndpointStatsDto, StatsQuery, TestDeliveryDto, TestEndpointDto } from './inspection.dto';

@ApiTags('Deliveries')
@ApiBearerAuth()
@ApiProblems(401, 404, 409)
@Controller('deliveries')
export class DeliveryRetryController {
  constructor(private readonly retries: DeliveryRetryService) {}

  @Post(':id/retry')
  @HttpCode(202)
  @ApiOperation({
    summary:
      'Attempt a delivery once more now: a dead one stays dead if that fails, an open one keeps its schedule',
  })
  @ApiAcceptedResponse({ type: DeliveryDto })
  retry(@CurrentCaller() caller: Caller, @Param('id') id: string): Promise<DeliveryDto> {
    return this.retries.retry(caller, id);
  }
}

@ApiTags('Endpoints')
@ApiBearerAuth()
@ApiProblems(400, 401, 404)
@Controller('webhook-endpoints')
export class EndpointInspectionController {
  constructor(
    private readonly tests: EndpointTestService,
    private readonly statistics: EndpointStatsService,
  ) {}

  @Post(':id/test')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Send one test event to this endpoint now (whatever its subscription) and show the attempt',
  })
  @ApiOkResponse({ type: TestDeliveryDto })
  @ApiProblems(409)
  test(
    @CurrentCaller() caller: Caller,
    @Param('id') id: string,
    @Body() body: TestEndpointDto,
  ): Promise<TestDeliveryDto> {
    return this.tests.test(caller, id, body);
  }

  @Get(':id/stats')
  @ApiOperation({ summary: 'Attempts, success rate, latency and backlog of an endpoint over a window' })
  @ApiOkResponse({ type: EndpointStatsDto })
  stats(
    @CurrentCaller() caller: Caller,
    @Param('id') id: string,
    @Query() query: StatsQuery,
  ): Promise<EndpointStatsDto> {
    return this.statistics.stats(caller, id, query);
  }
}

import { Controller, Get, Res } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Public } from '../auth/auth.decorators';
import { DeliveryMetrics } from './delivery-metrics';

/** `GET /metrics`: Prometheus text, no authentication (§3). */
@ApiTags('Operations')
@Public()
@Controller()
export class MetricsController {
  constructor(
    private readonly metrics: DeliveryMetrics,
    private readonly adapterHost: HttpAdapterHost,
  ) {}

  @Get('metrics')
  @ApiOperation({ summary: 'Prometheus metrics (text exposition format); docs/delivery.md lists them' })
  @ApiOkResponse({ content: { 'text/plain': { schema: { type: 'string' } } } })
  async scrape(@Res() response: unknown): Promise<void> {
    const body = await this.metrics.render();
    const adapter = this.adapterHost.httpAdapter;
    adapter.setHeader(response, 'Content-Type', this.metrics.contentType);
    adapter.reply(response, body, 200);
  }
}

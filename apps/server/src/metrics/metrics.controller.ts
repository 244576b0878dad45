import { Controller, Get, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Response } from 'express';
import { Public } from '../auth/auth.decorators';
import { DeliveryMetrics } from './delivery-metrics';

/** `GET /metrics`: Prometheus text, no authentication (§3). */
@ApiExcludeController()
@Public()
@Controller()
export class MetricsController {
  constructor(private readonly metrics: DeliveryMetrics) {}

  @Get('metrics')
  async scrape(@Res() response: Response): Promise<void> {
    const body = await this.metrics.render();
    response.status(200).type(this.metrics.contentType).send(body);
  }
}

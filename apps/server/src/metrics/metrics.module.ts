import { Global, Module } from '@nestjs/common';
import { DeliveryMetrics } from './delivery-metrics';
import { MetricsController } from './metrics.controller';

/**
 * Delivery metrics and `GET /metrics`. Global so the attempter can record into it wherever it runs;
 * imported by the dispatch modules, and it should be imported by every role (see docs/delivery.md).
 */
@Global()
@Module({
  controllers: [MetricsController],
  providers: [DeliveryMetrics],
  exports: [DeliveryMetrics],
})
export class MetricsModule {}

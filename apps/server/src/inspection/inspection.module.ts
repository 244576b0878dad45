import { Module } from '@nestjs/common';
import { DeliveriesModule } from '../deliveries/deliveries.module';
import { DeliveryAttemptModule } from '../dispatch/dispatch.module';
import { EndpointsModule } from '../endpoints/endpoints.module';
import { DeliveryRetryService } from './delivery-retry.service';
import { EndpointStatsService } from './endpoint-stats.service';
import { EndpointTestService } from './endpoint-test.service';
import { DeliveryRetryController, EndpointInspectionController } from './inspection.controller';

/** Test deliveries, manual retries and endpoint stats: what a human wiring up or debugging an endpoint uses. */
@Module({
  imports: [DeliveryAttemptModule, DeliveriesModule, EndpointsModule],
  controllers: [DeliveryRetryController, EndpointInspectionController],
  providers: [DeliveryRetryService, EndpointTestService, EndpointStatsService],
})
export class InspectionModule {}

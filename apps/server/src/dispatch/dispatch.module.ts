import { Module } from '@nestjs/common';
import { DeliveriesModule } from '../deliveries/deliveries.module';
import { EndpointsModule } from '../endpoints/endpoints.module';
import { MetricsModule } from '../metrics/metrics.module';
import { AttemptRecorder } from './attempt-recorder';
import { DeliveryAttempter } from './delivery-attempter';
import { DeliveryClaims } from './delivery-claims';
import { DeliverySender } from './delivery-sender';
import { Dispatcher } from './dispatcher';

/**
 * One attempt of one delivery, on demand: `DeliveryAttempter.attemptOnce` for the retry and test
 * routes. Safe in any role: it runs no loop.
 */
@Module({
  imports: [DeliveriesModule, EndpointsModule, MetricsModule],
  providers: [DeliverySender, DeliveryClaims, AttemptRecorder, DeliveryAttempter],
  exports: [DeliveryAttempter, DeliveryClaims, AttemptRecorder, DeliverySender],
})
export class DeliveryAttemptModule {}

/** The worker: the dispatcher loop over DeliveryAttemptModule (WEBHOOKS_ROLE `worker` or `all`). */
@Module({
  imports: [DeliveryAttemptModule, DeliveriesModule, MetricsModule],
  providers: [Dispatcher],
  exports: [DeliveryAttemptModule, Dispatcher],
})
export class DispatchModule {}

import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { Attempt } from './attempt.entity';
import { DeliveriesRepository } from './deliveries.repository';
import { Delivery } from './delivery.entity';
import { DeliveryHandoff } from './delivery-handoff';
import { DeliverySignal } from './delivery-signal';

/**
 * The outbox rows (deliveries) and their attempts, shared by the API and the worker. Routes live in
 * DeliveriesApiModule so a worker-only process serves none of them.
 */
@Module({
  imports: [TypeOrmModule.forFeature([Delivery, Attempt])],
  providers: [DeliveriesRepository, DeliverySignal, DeliveryHandoff],
  exports: [DeliveriesRepository, DeliverySignal, DeliveryHandoff, TypeOrmModule],
})
export class DeliveriesModule {}

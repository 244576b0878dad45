import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DeliveriesModule } from '../deliveries/deliveries.module';
import { DeliveriesApiModule } from '../deliveries/deliveries-api.module';
import { EndpointsModule } from '../endpoints/endpoints.module';
import { WebhookEvent } from './event.entity';
import { EventsController } from './events.controller';
import { EventsRepository } from './events.repository';
import { EventsService } from './events.service';
import { IdempotencyKey } from './idempotency-key.entity';

/** Publishing (the outbox write) and reading events. */
@Module({
  imports: [
    TypeOrmModule.forFeature([WebhookEvent, IdempotencyKey]),
    EndpointsModule,
    DeliveriesModule,
    DeliveriesApiModule,
  ],
  controllers: [EventsController],
  providers: [EventsRepository, EventsService],
  exports: [EventsRepository, TypeOrmModule],
})
export class EventsModule {}

import { Module } from '@nestjs/common';
import { DeliveriesController } from './deliveries.controller';
import { DeliveriesModule } from './deliveries.module';
import { DeliveriesService } from './deliveries.service';

/** `GET /deliveries…` routes. */
@Module({
  imports: [DeliveriesModule],
  controllers: [DeliveriesController],
  providers: [DeliveriesService],
  exports: [DeliveriesService],
})
export class DeliveriesApiModule {}

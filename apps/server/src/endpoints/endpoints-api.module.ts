import { Module } from '@nestjs/common';
import { DeliveriesModule } from '../deliveries/deliveries.module';
import { EndpointUrlCheck } from './endpoint-url-check';
import { EndpointsController } from './endpoints.controller';
import { EndpointsModule } from './endpoints.module';
import { EndpointsService } from './endpoints.service';

/** `/webhook-endpoints…` routes. */
@Module({
  imports: [EndpointsModule, DeliveriesModule],
  controllers: [EndpointsController],
  providers: [EndpointsService, EndpointUrlCheck],
  exports: [EndpointsService],
})
export class EndpointsApiModule {}

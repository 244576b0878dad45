import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { Endpoint } from './endpoint.entity';
import { EndpointSecrets } from './endpoint-secrets';
import { EndpointsRepository } from './endpoints.repository';

/** Endpoint rows and their secrets, shared by the API and the worker (routes: EndpointsApiModule). */
@Module({
  imports: [TypeOrmModule.forFeature([Endpoint])],
  providers: [EndpointsRepository, EndpointSecrets],
  exports: [EndpointsRepository, EndpointSecrets, TypeOrmModule],
})
export class EndpointsModule {}

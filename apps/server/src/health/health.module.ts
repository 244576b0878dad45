import { Module } from '@nestjs/common';
import { DatabaseProbe } from './database-probe';
import { HealthController } from './health.controller';

/** `/healthz` and `/readyz`, served by every role. */
@Module({
  controllers: [HealthController],
  providers: [DatabaseProbe],
})
export class HealthModule {}

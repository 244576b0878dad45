import { DynamicModule, Module, Type } from '@nestjs/common';
import { ScheduleModule } from '@nestjs/schedule';
import { AuthModule } from './auth/auth.module';
import { CommonModule } from './common/common.module';
import { AppConfig } from './config/config';
import { ConfigModule } from './config/config.module';
import { DatabaseModule } from './database/database.module';
import { DeliveriesApiModule } from './deliveries/deliveries-api.module';
import { DispatchModule } from './dispatch/dispatch.module';
import { EndpointsApiModule } from './endpoints/endpoints-api.module';
import { EventsModule } from './events/events.module';
import { HealthModule } from './health/health.module';
import { InspectionModule } from './inspection/inspection.module';
import { MetricsModule } from './metrics/metrics.module';
import { ReplayModule, ReplayWorkerModule } from './replay/replay.module';
import { RetentionModule } from './retention/retention.module';

/** The HTTP API: served when WEBHOOKS_ROLE is `api` or `all`. */
const apiModules: Array<Type | DynamicModule> = [
  AuthModule,
  EndpointsApiModule,
  EventsModule,
  DeliveriesApiModule,
  ReplayModule,
  InspectionModule,
];

/**
 * The dispatcher and scheduled jobs: run when WEBHOOKS_ROLE is `worker` or `all`. Every timer of the
 * worker is registered with @nestjs/schedule, so an api-only process has no scheduler.
 */
const workerModules: Array<Type | DynamicModule> = [
  ScheduleModule.forRoot(),
  DispatchModule,
  MetricsModule,
  ReplayWorkerModule,
  RetentionModule,
];

@Module({})
// biome-ignore lint/complexity/noStaticOnlyClass: a Nest dynamic module is a class with a static forRoot
export class AppModule {
  static forRoot(config: AppConfig): DynamicModule {
    const serveApi = config.role === 'api' || config.role === 'all';
    const runWorker = config.role === 'worker' || config.role === 'all';
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        CommonModule,
        DatabaseModule.forRoot(config.databaseUrl),
        HealthModule,
        ...(serveApi ? apiModules : []),
        ...(runWorker ? workerModules : []),
      ],
    };
  }
}

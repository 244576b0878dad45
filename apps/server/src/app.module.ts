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

@Module({})
// biome-ignore lint/complexity/noStaticOnlyClass: a Nest dynamic module is a class with a static forRoot
export class AppModule {
  static forRoot(config: AppConfig): DynamicModule {
    // ── Worker modules ─────────────────────────────────────────────────────────────────────────
    // Run when WEBHOOKS_ROLE is `worker` or `all`: the dispatcher and scheduled jobs (every timer of
    // the worker is registered with @nestjs/schedule).
    const workerModules: Array<Type | DynamicModule> = [
      ScheduleModule.forRoot(),
      DispatchModule,
      MetricsModule,
      ReplayWorkerModule,
      RetentionModule,
    ];
    // ───────────────────────────────────────────────────────────────────────────────────────────
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

import { Module } from '@nestjs/common';
import { ScheduleModule } from '@nestjs/schedule';
import { RetentionPurge } from './retention-purge';

/** The scheduled purge of rows older than WEBHOOKS_RETENTION (worker role). */
@Module({
  imports: [ScheduleModule.forRoot()],
  providers: [RetentionPurge],
  exports: [RetentionPurge],
})
export class RetentionModule {}

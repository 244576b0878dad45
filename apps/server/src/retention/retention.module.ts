import { Module } from '@nestjs/common';
import { RetentionPurge } from './retention-purge';

/** The scheduled purge of rows older than WEBHOOKS_RETENTION (worker role, whose AppModule imports ScheduleModule). */
@Module({
  providers: [RetentionPurge],
  exports: [RetentionPurge],
})
export class RetentionModule {}

import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DeliveriesModule } from '../deliveries/deliveries.module';
import { EndpointsModule } from '../endpoints/endpoints.module';
import { EventsModule } from '../events/events.module';
import { EndpointReplayService } from './endpoint-replay.service';
import { EventReplayService } from './event-replay.service';
import { EndpointReplayController, EventReplayController, ReplaysController } from './replay.controller';
import { Replay } from './replay.entity';
import { ReplayRunner } from './replay-runner';
import { ReplaySignal } from './replay-signal';

/** The replay rows and the signal that starts a local runner, shared by the API and the worker. */
@Module({
  imports: [TypeOrmModule.forFeature([Replay])],
  providers: [ReplaySignal],
  exports: [ReplaySignal, TypeOrmModule],
})
export class ReplayCoreModule {}

/** Replay routes: `POST /events/{id}/replay`, `POST /webhook-endpoints/{id}/replay`, `GET /replays/{id}`. */
@Module({
  imports: [ReplayCoreModule, EndpointsModule, EventsModule, DeliveriesModule],
  controllers: [EventReplayController, EndpointReplayController, ReplaysController],
  providers: [EventReplayService, EndpointReplayService],
})
export class ReplayModule {}

/** The worker's part: the runner that advances endpoint replays in paced, resumable batches. */
@Module({
  imports: [ReplayCoreModule, DeliveriesModule],
  providers: [ReplayRunner],
  exports: [ReplayRunner],
})
export class ReplayWorkerModule {}

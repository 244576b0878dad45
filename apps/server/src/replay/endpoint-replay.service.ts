import { Inject, Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { DataSource, Repository } from 'typeorm';
import { Caller } from '../auth/caller';
import { Clock } from '../common/clock';
import { formatDuration } from '../common/duration';
import { isId, newId } from '../common/ids';
import { ApiProblem } from '../common/problem';
import type { AppConfig } from '../config/config';
import { APP_CONFIG } from '../config/config.module';
import { runInTransaction } from '../database/transactions';
import { Endpoint } from '../endpoints/endpoint.entity';
import { EndpointsRepository } from '../endpoints/endpoints.repository';
import { ReplayDto, ReplayEndpointDto } from './replay.dto';
import { Replay } from './replay.entity';
import { presentReplay } from './replay.presenter';
import { countSelectedEvents, MAX_REPLAY_EVENTS, ReplaySelection } from './replay-selection';
import { ReplaySignal } from './replay-signal';

/**
 * `POST /webhook-endpoints/{id}/replay` and `GET /replays/{id}`. Starting a replay counts what it
 * matches (all a dry run does) and stores it as `running`; the ReplayRunner of some worker then
 * enqueues it in paced batches.
 */
@Injectable()
export class EndpointReplayService {
  constructor(
    private readonly dataSource: DataSource,
    @InjectRepository(Replay) private readonly replays: Repository<Replay>,
    private readonly endpoints: EndpointsRepository,
    private readonly signal: ReplaySignal,
    private readonly clock: Clock,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async start(caller: Caller, endpointId: string, input: ReplayEndpointDto): Promise<ReplayDto> {
    const endpoint = await this.endpoints.visible(caller, endpointId);
    const now = this.clock.now();
    const since = new Date(input.since);
    const requestedUntil = input.until === undefined ? now : new Date(input.until);
    if (since.getTime() > requestedUntil.getTime()) {
      throw ApiProblem.invalidField('since', 'must not be after until');
    }
    // Events after now do not exist yet; live fan-out delivers those.
    const until = requestedUntil.getTime() > now.getTime() ? now : requestedUntil;
    if (until.getTime() - since.getTime() > this.config.retentionMs) {
      const retention = formatDuration(this.config.retentionMs);
      throw ApiProblem.invalidField(
        'since',
        `makes the window longer than the retention period (${retention}); older events are purged, so narrow the window`,
      );
    }
    const dryRun = input.dry_run ?? false;
    if (!dryRun && endpoint.status !== 'enabled') {
      throw ApiProblem.conflict(
        `Endpoint ${endpoint.id} is disabled (${endpoint.disabledReason ?? 'manual'}): enable it first (PATCH {"status":"enabled"}); a dry run is allowed.`,
        'endpoint-disabled',
      );
    }
    const replay: Replay = {
      id: newId('rpl'),
      tenantId: endpoint.tenantId,
      endpointId: endpoint.id,
      status: 'running',
      since,
      until,
      types: input.types ?? null,
      mode: input.only ?? 'undelivered',
      dryRun,
      matched: 0,
      enqueued: 0,
      lastEventId: null,
      error: null,
      leaseOwner: null,
      leaseExpiresAt: null,
      createdAt: now,
      updatedAt: now,
      completedAt: null,
    };
    replay.matched = await countSelectedEvents(this.dataSource.manager, selectionOf(replay, endpoint));
    if (replay.matched > MAX_REPLAY_EVENTS) {
      throw ApiProblem.invalidField(
        'since',
        `the replay would match ${replay.matched.toLocaleString('en-US')} events, more than the ${MAX_REPLAY_EVENTS.toLocaleString('en-US')} allowed at once; split it into narrower windows (since/until) or restrict types`,
      );
    }
    if (dryRun || replay.matched === 0) {
      replay.status = 'completed';
      replay.completedAt = now;
    }
    await runInTransaction(this.dataSource, (manager) => manager.insert(Replay, replay));
    if (replay.status === 'running') this.signal.notify();
    return presentReplay(replay);
  }

  async get(caller: Caller, id: string): Promise<ReplayDto> {
    const replay = isId(id, 'rpl') ? await this.replays.findOneBy({ id }) : null;
    if (!replay || !caller.canSee(replay.tenantId)) throw ApiProblem.notFound('replay', id);
    return presentReplay(replay);
  }
}

/** The events a replay covers, with the endpoint's current subscription. */
export function selectionOf(replay: Replay, endpoint: Endpoint): ReplaySelection {
  return {
    tenantId: replay.tenantId,
    endpointId: replay.endpointId,
    subscription: endpoint.events,
    types: replay.types,
    // Nothing from before the endpoint existed: it never subscribed to those.
    since: replay.since.getTime() < endpoint.createdAt.getTime() ? endpoint.createdAt : replay.since,
    until: replay.until,
    mode: replay.mode,
  };
}

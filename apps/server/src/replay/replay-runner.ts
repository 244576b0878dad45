import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { BeforeApplicationShutdown, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { Brackets, DataSource, EntityManager } from 'typeorm';
import { Clock } from '../common/clock';
import { runInTransaction } from '../database/transactions';
import { Delivery } from '../deliveries/delivery.entity';
import { DeliverySignal } from '../deliveries/delivery-signal';
import { newDelivery } from '../deliveries/new-delivery';
import { inDispatchTransaction } from '../dispatch/dispatch-transaction';
import { lockEndpoints } from '../endpoints/endpoint-locks';
import { matchesEventType } from '../endpoints/event-patterns';
import { selectionOf } from './endpoint-replay.service';
import { Replay } from './replay.entity';
import { nextSelectedEvents, openReplayDeliveries } from './replay-selection';
import { ReplaySignal } from './replay-signal';

/**
 * How fast a replay goes. Internal, not configuration: the defaults keep a recovery from swamping the
 * endpoint or starving live traffic; tests shrink them (`app.get(ReplayRunner).tuning`).
 */
export interface ReplayTuning {
  /** Events looked at per batch (one transaction). */
  batchSize: number;
  /** Pause between batches, and between polls while the endpoint's replay backlog is full. */
  pauseMs: number;
  /** No more replay deliveries are enqueued while the endpoint has this many pending or retrying. */
  maxBacklog: number;
  /** How often an idle runner looks for replays started elsewhere or left by a stopped process. */
  pollMs: number;
  /** A replay's lease: if its runner dies, another process takes over after this long. */
  leaseMs: number;
  /** Replays one process advances at once. */
  maxConcurrent: number;
}

export const DEFAULT_REPLAY_TUNING: ReplayTuning = {
  batchSize: 500,
  pauseMs: 1_000,
  maxBacklog: 1_000,
  pollMs: 5_000,
  leaseMs: 30_000,
  maxConcurrent: 4,
};

type BatchResult = 'progress' | 'waiting' | 'finished' | 'lost';

/** Another process took the replay over (our lease had expired): the batch rolls back. */
class LostLeaseError extends Error {}

/**
 * The worker's replay loop: it leases `running` replays (free, or whose lease expired because their
 * process stopped), and advances each one batch at a time. A batch locks the endpoint row, picks the
 * next selected events above the replay's cursor, inserts their deliveries (trigger `replay`, due now)
 * and moves the cursor, in ONE transaction, so a restart resumes exactly where the last commit left.
 */
@Injectable()
export class ReplayRunner implements OnApplicationBootstrap, BeforeApplicationShutdown {
  tuning: ReplayTuning = { ...DEFAULT_REPLAY_TUNING };

  private readonly logger = new Logger('ReplayRunner');
  private readonly owner =
    `replay:${hostname().slice(0, 24)}:${process.pid}:${randomBytes(4).toString('hex')}`;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private wakeRequested = false;
  private stopping = false;
  private unsubscribe: (() => void) | undefined;

  constructor(
    private readonly dataSource: DataSource,
    private readonly deliverySignal: DeliverySignal,
    private readonly replaySignal: ReplaySignal,
    private readonly clock: Clock,
  ) {}

  onApplicationBootstrap(): void {
    this.unsubscribe = this.replaySignal.subscribe(() => this.wake());
    this.wake();
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopping = true;
    this.unsubscribe?.();
    clearTimeout(this.timer);
    await this.running;
    // Hand our replays over at once instead of making the next process wait out the lease.
    await runInTransaction(this.dataSource, (manager) =>
      manager.update(
        Replay,
        { leaseOwner: this.owner, status: 'running' },
        { leaseOwner: null, leaseExpiresAt: null },
      ),
    ).catch((error: Error) => this.logger.warn(`could not release replay leases: ${error.message}`));
  }

  /** Runs a round soon (coalesced with one running now). */
  wake(): void {
    if (this.stopping) return;
    if (this.running) {
      this.wakeRequested = true;
      return;
    }
    this.schedule(0);
  }

  private schedule(delayMs: number): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.running = this.round()
        .catch((error: Error) => {
          this.logger.error(`replay round failed: ${error.message}`);
          return false;
        })
        .then((busy) => {
          this.running = undefined;
          if (this.stopping) return;
          const again = this.wakeRequested;
          this.wakeRequested = false;
          this.schedule(busy ? this.tuning.pauseMs : again ? 0 : this.tuning.pollMs);
        });
    }, delayMs);
    this.timer.unref();
  }

  /** One batch of each replay this process holds or can take over; true while there is work left. */
  private async round(): Promise<boolean> {
    const leased = await this.leaseReplays();
    let busy = false;
    for (const id of leased) {
      if (this.stopping) break;
      try {
        const result = await this.advance(id);
        if (result === 'progress' || result === 'waiting') busy = true;
      } catch (error) {
        // One replay's failing batch must not hold up the others leased in this round; it is
        // tried again next round (its cursor did not move).
        this.logger.error(`replay ${id}: batch failed: ${(error as Error).message}`);
        busy = true;
      }
    }
    return busy;
  }

  /** Takes (or renews) leases on up to `maxConcurrent` running replays; returns the ids held. */
  private async leaseReplays(): Promise<string[]> {
    const now = this.clock.now();
    const candidates = await this.dataSource.manager
      .createQueryBuilder(Replay, 'r')
      .select('r.id', 'id')
      .where("r.status = 'running'")
      .andWhere(this.leaseAvailable(now))
      .orderBy('r.id', 'ASC')
      .limit(this.tuning.maxConcurrent)
      .getRawMany<{ id: string }>();
    const held: string[] = [];
    for (const { id } of candidates) {
      const result = await runInTransaction(this.dataSource, (manager) =>
        manager
          .createQueryBuilder()
          .update(Replay)
          .set({ leaseOwner: this.owner, leaseExpiresAt: new Date(now.getTime() + this.tuning.leaseMs) })
          .where({ id, status: 'running' })
          .andWhere(this.leaseAvailable(now))
          .execute(),
      );
      if (result.affected) held.push(id);
    }
    return held;
  }

  private leaseAvailable(now: Date): Brackets {
    return new Brackets((where) =>
      where
        .where('lease_owner = :owner', { owner: this.owner })
        .orWhere('lease_expires_at IS NULL')
        .orWhere('lease_expires_at < :now', { now }),
    );
  }

  /** One batch of one replay, in one transaction; wakes the dispatcher when it enqueued something. */
  private async advance(id: string): Promise<BatchResult> {
    let result: { outcome: BatchResult; enqueued: number };
    try {
      result = await inDispatchTransaction(this.dataSource, (manager) => this.batch(manager, id));
    } catch (error) {
      if (error instanceof LostLeaseError) return 'lost';
      throw error;
    }
    if (result.enqueued > 0) this.deliverySignal.notify();
    return result.outcome;
  }

  private async batch(
    manager: EntityManager,
    id: string,
  ): Promise<{ outcome: BatchResult; enqueued: number }> {
    const first = await manager.findOneBy(Replay, { id });
    if (!first) return { outcome: 'lost', enqueued: 0 };
    // The endpoint's row lock serializes this batch with event replays and other runners.
    const [endpoint] = await lockEndpoints(manager, [first.endpointId]);
    const replay = await manager.findOneBy(Replay, { id, status: 'running', leaseOwner: this.owner });
    if (!replay) return { outcome: 'lost', enqueued: 0 };
    const now = this.clock.now();
    if (!endpoint || endpoint.deletedAt !== null) {
      await this.finish(manager, replay, now, 'failed', 'the endpoint was deleted');
      return { outcome: 'finished', enqueued: 0 };
    }
    if (endpoint.status !== 'enabled') {
      const why = `the endpoint was disabled (${endpoint.disabledReason ?? 'manual'}); enable it and start a new replay`;
      await this.finish(manager, replay, now, 'failed', why);
      return { outcome: 'finished', enqueued: 0 };
    }

    const lease = { leaseExpiresAt: new Date(now.getTime() + this.tuning.leaseMs), updatedAt: now };
    const room = Math.min(
      this.tuning.batchSize,
      this.tuning.maxBacklog - (await openReplayDeliveries(manager, endpoint.id)),
    );
    if (room <= 0) {
      await this.save(manager, replay, lease);
      return { outcome: 'waiting', enqueued: 0 };
    }
    const selection = selectionOf(replay, endpoint);
    const events = await nextSelectedEvents(manager, selection, replay.lastEventId, room);
    const deliveries = events
      .filter((event) => matchesEventType(endpoint.events, event.type))
      .map((event) => newDelivery(event, endpoint.id, 'replay', now));
    if (deliveries.length > 0) await manager.insert(Delivery, deliveries);
    const last = events[events.length - 1];
    await this.save(manager, replay, {
      ...lease,
      lastEventId: last?.id ?? replay.lastEventId,
      enqueued: replay.enqueued + deliveries.length,
    });
    if (events.length < room) {
      await this.finish(
        manager,
        { ...replay, enqueued: replay.enqueued + deliveries.length },
        now,
        'completed',
        null,
      );
      return { outcome: 'finished', enqueued: deliveries.length };
    }
    return { outcome: 'progress', enqueued: deliveries.length };
  }

  /** Writes progress only while we still hold the lease; otherwise the whole batch rolls back. */
  private async save(manager: EntityManager, replay: Replay, changes: Partial<Replay>): Promise<void> {
    const result = await manager.update(
      Replay,
      { id: replay.id, leaseOwner: this.owner, status: 'running' },
      changes,
    );
    if (!result.affected) throw new LostLeaseError(`lost the lease of replay ${replay.id}`);
  }

  private async finish(
    manager: EntityManager,
    replay: Replay,
    now: Date,
    status: 'completed' | 'failed',
    error: string | null,
  ): Promise<void> {
    await this.save(manager, replay, {
      status,
      error,
      completedAt: now,
      updatedAt: now,
      leaseOwner: null,
      leaseExpiresAt: null,
    });
    if (status === 'failed') this.logger.warn(`replay ${replay.id} failed: ${error}`);
  }
}

import { setTimeout as sleep } from 'node:timers/promises';
import { BeforeApplicationShutdown, Inject, Injectable, Logger } from '@nestjs/common';
import { Interval, Timeout } from '@nestjs/schedule';
import { Brackets, DataSource, EntityManager, In, LessThan, Not } from 'typeorm';
import { Clock } from '../common/clock';
import type { AppConfig } from '../config/config';
import { APP_CONFIG } from '../config/config.module';
import { isSqlite } from '../database/data-source';
import { runInTransaction } from '../database/transactions';
import { Attempt } from '../deliveries/attempt.entity';
import { Delivery } from '../deliveries/delivery.entity';
import { WebhookEvent } from '../events/event.entity';
import { IDEMPOTENCY_WINDOW_MS } from '../events/event-payload';
import { IdempotencyKey } from '../events/idempotency-key.entity';
import { Replay } from '../replay/replay.entity';

/** Rows removed by one purge, per table. */
export interface PurgeCounts {
  deliveries: number;
  attempts: number;
  events: number;
  idempotencyKeys: number;
  replays: number;
}

/** Internal knobs (tests shrink them): rows per statement and the pause between statements. */
export interface PurgeTuning {
  batchSize: number;
  pauseMs: number;
}

const SETTLED = ['succeeded', 'dead', 'cancelled'];
/** Attempts per delivery are bounded by the retry schedule (≤ ~10): this keeps a batch near batchSize rows. */
const ATTEMPTS_PER_DELIVERY = 10;

/**
 * Deletes what is older than WEBHOOKS_RETENTION: settled deliveries (with their attempts), then
 * events no delivery points at any more, finished replays, and idempotency keys past their 24 h.
 * Never an open (pending, retrying) or leased delivery, nor the event such a delivery will send.
 * Small batches, each its own short transaction, with a pause between, so delivery never waits on it.
 * Runs in the worker role: shortly after boot, then every 10 minutes.
 */
@Injectable()
export class RetentionPurge implements BeforeApplicationShutdown {
  tuning: PurgeTuning = { batchSize: 1_000, pauseMs: 50 };

  private readonly logger = new Logger('RetentionPurge');
  private running: Promise<PurgeCounts> | undefined;
  private stopping = false;

  constructor(
    private readonly dataSource: DataSource,
    private readonly clock: Clock,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  // One decorator per method: @nestjs/schedule keeps a single schedule per method, so an @Interval
  // and a @Timeout stacked on one method would leave only the outer one.
  @Timeout('retention-purge-after-boot', 30_000)
  async afterBoot(): Promise<void> {
    await this.scheduled();
  }

  @Interval('retention-purge', 10 * 60_000)
  async every10Minutes(): Promise<void> {
    await this.scheduled();
  }

  async scheduled(): Promise<void> {
    try {
      const counts = await this.purge();
      const total = Object.values(counts).reduce((sum, n) => sum + n, 0);
      if (total > 0) this.logger.log(`purged rows older than retention: ${JSON.stringify(counts)}`);
    } catch (error) {
      this.logger.error(`retention purge failed: ${(error as Error).message}`);
    }
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopping = true;
    await this.running?.catch(() => undefined);
  }

  /** One full purge; a call while one runs joins it. */
  purge(): Promise<PurgeCounts> {
    this.running ??= this.purgeAll().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async purgeAll(): Promise<PurgeCounts> {
    const now = this.clock.now();
    const cutoff = new Date(now.getTime() - this.config.retentionMs);
    const keyCutoff = new Date(now.getTime() - Math.min(IDEMPOTENCY_WINDOW_MS, this.config.retentionMs));
    const counts: PurgeCounts = { deliveries: 0, attempts: 0, events: 0, idempotencyKeys: 0, replays: 0 };
    const { batchSize } = this.tuning;

    await this.inBatches(async (manager) => {
      const ids = await manager
        .createQueryBuilder(Delivery, 'd')
        .select('d.id', 'id')
        .where('d.createdAt < :cutoff', { cutoff })
        .andWhere('d.status IN (:...settled)', { settled: SETTLED })
        .andWhere(purgeableLease(now))
        .orderBy('d.createdAt', 'ASC')
        .limit(Math.max(1, Math.floor(batchSize / ATTEMPTS_PER_DELIVERY)))
        .getRawMany<{ id: string }>();
      if (ids.length === 0) return 0;
      // Lock the chosen rows, then keep only those still settled and unleased: a delivery a manual
      // retry leased meanwhile stays, and so do its attempts; a retry that leases one now waits for us.
      const deliveryIds = await lockPurgeableDeliveries(
        manager,
        ids.map((row) => row.id),
        now,
      );
      if (deliveryIds.length > 0) {
        counts.attempts += (await manager.delete(Attempt, { deliveryId: In(deliveryIds) })).affected ?? 0;
        counts.deliveries += (await manager.delete(Delivery, { id: In(deliveryIds) })).affected ?? 0;
      }
      return ids.length;
    });

    await this.inBatches(async (manager) => {
      const ids = await manager
        .createQueryBuilder(WebhookEvent, 'e')
        .select('e.id', 'id')
        .where('e.createdAt < :cutoff', { cutoff })
        .andWhere('NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.event_id = e.id)')
        .orderBy('e.createdAt', 'ASC')
        .limit(batchSize)
        .getRawMany<{ id: string }>();
      if (ids.length === 0) return 0;
      // Again in the DELETE: an event a replay just re-enqueued keeps its payload.
      const deleted = await manager
        .createQueryBuilder()
        .delete()
        .from(WebhookEvent)
        .where({ id: In(ids.map((row) => row.id)) })
        .andWhere('NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.event_id = events.id)')
        .execute();
      counts.events += deleted.affected ?? 0;
      return ids.length;
    });

    await this.inBatches(async (manager) => {
      const ids = await manager.find(Replay, {
        select: { id: true },
        where: { createdAt: LessThan(cutoff), status: Not('running') },
        take: batchSize,
      });
      if (ids.length === 0) return 0;
      counts.replays += (await manager.delete(Replay, { id: In(ids.map((row) => row.id)) })).affected ?? 0;
      return ids.length;
    });

    await this.inBatches(async (manager) => {
      const keys = await manager.find(IdempotencyKey, {
        select: { tenantId: true, key: true },
        where: { createdAt: LessThan(keyCutoff) },
        take: batchSize,
      });
      if (keys.length === 0) return 0;
      const deleted = await manager
        .createQueryBuilder()
        .delete()
        .from(IdempotencyKey)
        .where(keys.map(({ tenantId, key }) => ({ tenantId, key })))
        .execute();
      counts.idempotencyKeys += deleted.affected ?? 0;
      return keys.length;
    });
    return counts;
  }

  /** Runs `batch` (one transaction each, returning rows looked at) until it finds nothing, pausing between. */
  private async inBatches(batch: (manager: EntityManager) => Promise<number>): Promise<void> {
    while (!this.stopping) {
      const seen = await runInTransaction(this.dataSource, batch);
      if (seen === 0) return;
      await sleep(this.tuning.pauseMs);
    }
  }
}

/** No live lease: none, or one that has expired. */
function purgeableLease(now: Date): Brackets {
  return new Brackets((lease) =>
    lease.where('d.leaseExpiresAt IS NULL').orWhere('d.leaseExpiresAt < :now', { now }),
  );
}

/**
 * Of `ids`, the deliveries still settled and unleased, read and (on MySQL) locked FOR UPDATE in id
 * order until the transaction ends, so nobody leases them before their attempts are deleted. SQLite
 * has no row locks (nor this lock mode in TypeORM); its write transactions are serialized instead.
 */
async function lockPurgeableDeliveries(manager: EntityManager, ids: string[], now: Date): Promise<string[]> {
  const query = manager
    .createQueryBuilder(Delivery, 'd')
    .select('d.id', 'id')
    .where({ id: In(ids) })
    .andWhere('d.status IN (:...settled)', { settled: SETTLED })
    .andWhere(purgeableLease(now))
    .orderBy('d.id', 'ASC');
  if (!isSqlite(manager.connection)) query.setLock('pessimistic_write');
  return (await query.getRawMany<{ id: string }>()).map((row) => row.id);
}

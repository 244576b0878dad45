import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { newId } from '../src/common/ids';
import { Attempt } from '../src/deliveries/attempt.entity';
import { Delivery, DeliveryStatus } from '../src/deliveries/delivery.entity';
import { newDelivery } from '../src/deliveries/new-delivery';
import { WebhookEvent } from '../src/events/event.entity';
import { IdempotencyKey } from '../src/events/idempotency-key.entity';
import { Replay } from '../src/replay/replay.entity';
import { RetentionPurge } from '../src/retention/retention-purge';
import { describeEachDatabase, startServer, type TestServer } from './support/server';

const HOUR = 3_600_000;

describeEachDatabase('retention purge', (db) => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startServer({ database: db, env: { WEBHOOKS_RETENTION: '1h' } });
  });
  afterAll(async () => {
    await server?.close();
  });

  it('deletes settled rows older than retention in small batches and keeps everything still needed', async () => {
    const manager = server.dataSource.manager;
    const now = Date.now();
    const old = new Date(now - 2 * HOUR);
    const recent = new Date(now - HOUR / 2);
    const endpointId = newId('wh');

    const event = async (createdAt: Date) => {
      const row: WebhookEvent = {
        id: newId('evt'),
        tenantId: 'ret',
        type: 'invoice.paid',
        payload: '{}',
        createdAt,
      };
      await manager.insert(WebhookEvent, row);
      return row;
    };
    const delivery = async (
      of: WebhookEvent,
      status: DeliveryStatus,
      createdAt: Date,
      extra: Partial<Delivery> = {},
    ): Promise<Delivery> => {
      const open = status === 'pending' || status === 'retrying';
      const row: Delivery = {
        ...newDelivery(of, endpointId, 'event', createdAt),
        status,
        // Never due during the test: the dispatcher must leave these rows alone.
        nextAttemptAt: open ? new Date(now + HOUR) : null,
        ...extra,
      };
      await manager.insert(Delivery, row);
      return row;
    };
    const attempt = async (of: Delivery, number: number, startedAt: Date) => {
      await manager.insert(Attempt, {
        id: newId('att'),
        deliveryId: of.id,
        endpointId,
        tenantId: 'ret',
        attemptNumber: number,
        trigger: 'scheduled',
        startedAt,
        durationMs: 5,
        requestUrl: 'http://127.0.0.1/',
        requestHeaders: {},
        responseStatus: 200,
        responseHeaders: {},
        responseBody: 'ok',
        responseBodyTruncated: false,
        errorCode: null,
        errorMessage: null,
      });
    };

    // Gone: old, settled, with its attempts (even one made recently), and old events nobody needs.
    const purgedEvents: WebhookEvent[] = [];
    const purgedDeliveries: Delivery[] = [];
    for (const status of ['succeeded', 'dead', 'cancelled', 'succeeded', 'dead'] as const) {
      const e = await event(old);
      const d = await delivery(e, status, old);
      await attempt(d, 1, old);
      await attempt(d, 2, recent);
      purgedEvents.push(e);
      purgedDeliveries.push(d);
    }
    purgedEvents.push(await event(old)); // published while no endpoint listened

    // Kept: open or leased deliveries and their events; recent rows; an old event replayed recently.
    const openEvent = await event(old);
    const retrying = await delivery(openEvent, 'retrying', old);
    await attempt(retrying, 1, old);
    const leasedEvent = await event(old);
    const leased = await delivery(leasedEvent, 'dead', old, {
      leaseOwner: 'worker-1',
      leaseExpiresAt: new Date(now + HOUR),
    });
    const replayedEvent = await event(old);
    await delivery(replayedEvent, 'succeeded', old);
    const replayDelivery = await delivery(replayedEvent, 'succeeded', recent, { trigger: 'replay' });
    const recentEvent = await event(recent);
    const recentDelivery = await delivery(recentEvent, 'succeeded', recent);
    await attempt(recentDelivery, 1, recent);

    await manager.insert(IdempotencyKey, [
      { tenantId: 'ret', key: 'old', requestHash: 'x', eventId: purgedEvents[0]!.id, createdAt: old },
      { tenantId: 'ret', key: 'recent', requestHash: 'x', eventId: recentEvent.id, createdAt: recent },
    ]);
    const replay = (status: Replay['status'], createdAt: Date): Replay => ({
      id: newId('rpl'),
      tenantId: 'ret',
      endpointId,
      status,
      since: createdAt,
      until: createdAt,
      types: null,
      mode: 'undelivered',
      dryRun: status !== 'running',
      matched: 0,
      enqueued: 0,
      lastEventId: null,
      error: null,
      // A live lease elsewhere: this process's runner leaves the running one alone.
      leaseOwner: status === 'running' ? 'worker-1' : null,
      leaseExpiresAt: status === 'running' ? new Date(now + HOUR) : null,
      createdAt,
      updatedAt: createdAt,
      completedAt: null,
    });
    const oldDone = replay('completed', old);
    const oldRunning = replay('running', old);
    const recentDone = replay('completed', recent);
    await manager.insert(Replay, [oldDone, oldRunning, recentDone]);

    const purge = server.app.get(RetentionPurge);
    purge.tuning = { batchSize: 20, pauseMs: 1 };
    const counts = await purge.purge();
    expect(counts).toEqual({ deliveries: 6, attempts: 10, events: 6, idempotencyKeys: 1, replays: 1 });

    const ids = async (entity: typeof WebhookEvent | typeof Delivery | typeof Replay) =>
      (await manager.find(entity as typeof Delivery, { select: { id: true } })).map((row) => row.id).sort();
    expect(await ids(WebhookEvent)).toEqual(
      [openEvent.id, leasedEvent.id, replayedEvent.id, recentEvent.id].sort(),
    );
    expect(await ids(Delivery)).toEqual(
      [retrying.id, leased.id, replayDelivery.id, recentDelivery.id].sort(),
    );
    const attemptsLeft = await manager.find(Attempt, { select: { deliveryId: true } });
    expect(attemptsLeft.map((row) => row.deliveryId).sort()).toEqual([retrying.id, recentDelivery.id].sort());
    expect((await manager.find(IdempotencyKey)).map((row) => row.key)).toEqual(['recent']);
    expect(await ids(Replay)).toEqual([oldRunning.id, recentDone.id].sort());

    // Nothing left to do: a second purge deletes nothing.
    expect(await purge.purge()).toEqual({
      deliveries: 0,
      attempts: 0,
      events: 0,
      idempotencyKeys: 0,
      replays: 0,
    });
  });
});

/**
 * MySQL only: SQLite serializes write transactions, so only MySQL's row locks let a manual retry
 * and the purge interleave.
 */
describe.skipIf(inject('mysqlProblem') !== null)('retention purge racing a manual retry [mysql]', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startServer({ database: 'mysql', env: { WEBHOOKS_RETENTION: '1h' } });
  });
  afterAll(async () => {
    await server?.close();
  });

  // A manual retry of a dead delivery leases it (DeliveryClaims.leaseOne) while the purge runs: the
  // purge must then keep the delivery AND its attempts. SQLite serializes write transactions, so only
  // MySQL's row locks let the two interleave.
  it('keeps the attempts of a delivery a manual retry leases meanwhile', async () => {
    const dataSource = server.dataSource;
    const manager = dataSource.manager;
    const old = new Date(Date.now() - 2 * HOUR);
    const event: WebhookEvent = {
      id: newId('evt'),
      tenantId: 'ret',
      type: 'invoice.paid',
      payload: '{}',
      createdAt: old,
    };
    await manager.insert(WebhookEvent, event);
    const delivery: Delivery = {
      ...newDelivery(event, newId('wh'), 'event', old),
      status: 'dead',
      nextAttemptAt: null,
    };
    await manager.insert(Delivery, delivery);
    const attemptIds = [newId('att'), newId('att')];
    for (const [index, id] of attemptIds.entries()) {
      await manager.insert(Attempt, {
        id,
        deliveryId: delivery.id,
        endpointId: delivery.endpointId,
        tenantId: 'ret',
        attemptNumber: index + 1,
        trigger: 'scheduled',
        startedAt: old,
        durationMs: 5,
        requestUrl: 'http://127.0.0.1/',
        requestHeaders: {},
        responseStatus: 500,
        responseHeaders: {},
        responseBody: 'no',
        responseBodyTruncated: false,
        errorCode: null,
        errorMessage: null,
      });
    }

    // The retry's lease, written (row locked) but not committed yet.
    const retry = dataSource.createQueryRunner();
    await retry.connect();
    let purging: Promise<unknown> | undefined;
    try {
      await retry.startTransaction();
      await retry.manager.update(
        Delivery,
        { id: delivery.id },
        { leaseOwner: 'manual-retry', leaseExpiresAt: new Date(Date.now() + HOUR) },
      );
      const purge = server.app.get(RetentionPurge);
      purge.tuning = { batchSize: 20, pauseMs: 1 };
      purging = purge.purge();
      purging.catch(() => undefined); // awaited below; not an unhandled rejection meanwhile
      // Let the purge reach its statements on this delivery (it then waits for the retry's row lock).
      await new Promise((resolve) => setTimeout(resolve, 300));
      await retry.commitTransaction();
    } finally {
      if (retry.isTransactionActive) await retry.rollbackTransaction();
      await retry.release();
    }
    await purging;

    const kept = await manager.findOneBy(Delivery, { id: delivery.id });
    expect(kept?.leaseOwner).toBe('manual-retry');
    const attemptsLeft = await manager.find(Attempt, {
      select: { id: true },
      where: { deliveryId: delivery.id },
    });
    expect(attemptsLeft.map((row) => row.id).sort()).toEqual([...attemptIds].sort());
  });
});

import type { INestApplication } from '@nestjs/common';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { Delivery } from '../src/deliveries/delivery.entity';
import { newDelivery } from '../src/deliveries/new-delivery';
import { DeliveryAttempter } from '../src/dispatch/delivery-attempter';
import { DeliveryClaims } from '../src/dispatch/delivery-claims';
import { Dispatcher } from '../src/dispatch/dispatcher';
import { createHttpApp } from '../src/http-app';
import { TestReceiver } from './support/dispatch-receiver';
import { call } from './support/http';
import { startServer, type TestServer } from './support/server';

const mysqlProblem = inject('mysqlProblem');

/**
 * An `api` app and two `worker` apps on one MySQL database, as in production: the per-endpoint cap
 * holds across the workers, and leases make every delivery go out once.
 */
describe.skipIf(mysqlProblem !== null)('several workers on one MySQL database', () => {
  let server: TestServer;
  let receiver: TestReceiver;
  const workers: INestApplication[] = [];
  const attemptsBy = new Map<string, number>();

  beforeAll(async () => {
    receiver = await TestReceiver.start();
    server = await startServer({
      database: 'mysql',
      env: {
        WEBHOOKS_ROLE: 'api',
        WEBHOOKS_ALLOW_PRIVATE_TARGETS: 'true',
        WEBHOOKS_RETRY_SCHEDULE: '100ms,100ms,100ms',
      },
    });
    for (let i = 0; i < 2; i++) {
      const worker = await createHttpApp({ ...server.config, role: 'worker' }, { logger: ['error'] });
      await worker.init();
      workers.push(worker);
    }
    for (const [index, app] of workers.entries()) {
      const name = `worker-${index}`;
      const attempter = app.get(DeliveryAttempter);
      const original = attempter.attemptLeased.bind(attempter);
      attempter.attemptLeased = (...args) => {
        attemptsBy.set(name, (attemptsBy.get(name) ?? 0) + 1);
        return original(...args);
      };
    }
  });
  afterAll(async () => {
    for (const worker of workers) await worker.close();
    await server?.close();
    await receiver?.close();
  });

  it('never exceeds max_concurrency across workers and delivers each event once', async () => {
    // 12 endpoints × cap 6 = 72 slots: more than one worker runs at once (64), so both must claim,
    // and every endpoint's cap is contended by both.
    const endpoints = 12;
    const cap = 6;
    for (let i = 0; i < endpoints; i++) {
      receiver.on(`/e${i}`, () => ({ status: 200, delayMs: 400 }));
      const created = await call(server, 'POST', '/webhook-endpoints', {
        body: { url: `${receiver.url}/e${i}`, events: ['*'], max_concurrency: cap, tenant_id: 'workers' },
      });
      expect(created.status).toBe(201);
    }
    const total = 15;
    const ids = new Set<string>();
    for (let i = 0; i < total; i++) {
      const published = await call(server, 'POST', '/events', {
        body: { type: 'x.y', data: { i }, tenant_id: 'workers' },
      });
      ids.add(published.body.id as string);
    }
    await receiver.waitFor(() => receiver.requests.length >= endpoints * total, 60_000, 'every delivery');

    for (let i = 0; i < endpoints; i++) {
      const path = `/e${i}`;
      expect(receiver.maxOpen.get(path)).toBeLessThanOrEqual(cap);
      // Every attempt succeeds: exactly one request per event, however many workers raced for it.
      const got = receiver.received(path).map((r) => r.headers['webhook-id']);
      expect(got).toHaveLength(total);
      expect(new Set(got)).toEqual(ids);
    }
    // Both workers took part.
    expect([...attemptsBy.values()].filter((n) => n > 0)).toHaveLength(2);
  });

  it('two workers claiming the same endpoint at the same instant never lease more than its cap', async () => {
    const created = await call(server, 'POST', '/webhook-endpoints', {
      body: {
        url: `${receiver.url}/race`,
        events: ['nothing.matches'],
        max_concurrency: 3,
        tenant_id: 'race',
      },
    });
    expect(created.status).toBe(201);
    // Due an hour from now: the running dispatchers leave them alone; the claims below pass that time,
    // so nothing else may be open (those leases would look expired an hour from now).
    const open = async () =>
      Number(
        (
          await server.dataSource.query(
            "SELECT COUNT(*) AS n FROM deliveries WHERE status IN ('pending', 'retrying')",
          )
        )[0].n,
      );
    for (let tries = 0; (await open()) > 0; tries++) {
      if (tries > 200) throw new Error('deliveries of the previous test are still open');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const later = new Date(Date.now() + 3_600_000);
    const rows = Array.from({ length: 30 }, (_, i) =>
      newDelivery({ id: `evt_race${i}`, tenantId: 'race' }, created.body.id, 'event', later),
    );
    await server.dataSource.getRepository(Delivery).insert(rows);
    const [a, b] = workers.map((worker) => worker.get(DeliveryClaims));
    for (let round = 0; round < 8; round++) {
      const now = new Date(later.getTime() + round * 1_000);
      const claimed = await Promise.all(
        [a!, b!].map((claims, i) =>
          claims.claimDueDeliveries({ leaseToken: `race-${round}-${i}`, limit: 10, now, leaseMs: 500 }),
        ),
      );
      const ofRace = claimed.flat().filter((delivery) => delivery.endpointId === created.body.id);
      expect(ofRace).toHaveLength(3);
      // Each round's leases expire before the next round's `now`.
    }
  });

  it('keeps rate_limit_per_second across workers: at most N requests in any second, not N per worker', async () => {
    const rate = 3;
    const created = await call(server, 'POST', '/webhook-endpoints', {
      body: { url: `${receiver.url}/rated`, events: ['*'], rate_limit_per_second: rate, tenant_id: 'rated' },
    });
    expect(created.status).toBe(201);
    const before = new Map(attemptsBy);
    const total = 12;
    for (let i = 0; i < total; i++) {
      const published = await call(server, 'POST', '/events', {
        body: { type: 'x.y', data: { i }, tenant_id: 'rated' },
      });
      expect(published.status).toBe(202);
    }
    await receiver.waitFor(
      () => receiver.received('/rated').length === total,
      20_000,
      'every rated delivery',
    );
    const times = receiver.received('/rated').map((request) => request.at);
    for (const start of times) {
      expect(times.filter((t) => t >= start && t < start + 1_000).length).toBeLessThanOrEqual(rate);
    }
    // Both workers sent some: each had the whole rate to itself if the windows were per process.
    const sentBy = [...attemptsBy].map(([name, n]) => n - (before.get(name) ?? 0));
    expect(sentBy.filter((n) => n > 0)).toHaveLength(2);
  });

  it("a worker delivers the api's publish at once, without waiting for its poll", async () => {
    // With both workers' polls stopped, nothing in flight and no retry pending, only the due probe
    // can tell a worker that the api process (which has no dispatcher) made a delivery due.
    const dispatchers = workers.map((worker) => worker.get(Dispatcher));
    for (const dispatcher of dispatchers) dispatcher.setPollInterval(null);
    try {
      const created = await call(server, 'POST', '/webhook-endpoints', {
        body: { url: `${receiver.url}/probe`, events: ['*'], tenant_id: 'probe' },
      });
      expect(created.status).toBe(201);
      const published = await call(server, 'POST', '/events', {
        body: { type: 'x.y', data: {}, tenant_id: 'probe' },
      });
      expect(published.status).toBe(202);
      await receiver.waitFor(() => receiver.received('/probe').length === 1, 10_000, 'the probed delivery');
      expect(receiver.received('/probe')[0]!.headers['webhook-id']).toBe(published.body.id);
    } finally {
      for (const dispatcher of dispatchers) dispatcher.setPollInterval(500);
    }
  });
});

import type { INestApplication } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
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

  /** An endpoint on the receiver's `/<name>`, in tenant `<name>`: its id. */
  async function endpointNamed(name: string, settings: Record<string, unknown>, events = ['*']) {
    const created = await call(server, 'POST', '/webhook-endpoints', {
      body: { url: `${receiver.url}/${name}`, events, tenant_id: name, ...settings },
    });
    expect(created.status).toBe(201);
    return created.body.id as string;
  }

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
    const endpointId = await endpointNamed('race', { max_concurrency: 3 }, ['nothing.matches']);
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
      newDelivery({ id: `evt_race${i}`, tenantId: 'race' }, endpointId, 'event', later),
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
      const ofRace = claimed.flat().filter((delivery) => delivery.endpointId === endpointId);
      expect(ofRace).toHaveLength(3);
      // Each round's leases expire before the next round's `now`.
    }
  });

  // Both claims read the same due rows before either locks the endpoint; the second, once it has the
  // lock, still has free slots and chooses rows the first just leased: its lease UPDATE skips them
  // and it reads back only what it did lease.
  it('two workers racing for the same due rows under a roomy cap lease each row once', async () => {
    const endpointId = await endpointNamed('roomy', { max_concurrency: 50 }, ['nothing.matches']);
    const later = new Date(Date.now() + 7_200_000);
    const [a, b] = workers.map((worker) => worker.get(DeliveryClaims));
    const findBy = vi.spyOn(EntityManager.prototype, 'findBy');
    try {
      for (let round = 0; round < 6; round++) {
        const due = new Date(later.getTime() + round * 10_000);
        const rows = Array.from({ length: 4 }, (_, i) =>
          newDelivery({ id: `evt_roomy${round}_${i}`, tenantId: 'roomy' }, endpointId, 'event', due),
        );
        await server.dataSource.getRepository(Delivery).insert(rows);
        const now = new Date(due.getTime() + 1_000);
        const claimed = await Promise.all(
          [a!, b!].map((claims, i) =>
            claims.claimDueDeliveries({ leaseToken: `roomy-${round}-${i}`, limit: 10, now, leaseMs: 500 }),
          ),
        );
        const ids = claimed
          .flat()
          .filter((d) => d.endpointId === endpointId)
          .map((d) => d.id);
        expect(ids.sort()).toEqual(rows.map((row) => row.id).sort());
        for (const [i, mine] of claimed.entries()) {
          for (const delivery of mine) expect(delivery.leaseOwner).toBe(`roomy-${round}-${i}`);
        }
        // Settled, so the next round (past these leases' expiry) sees only its own rows.
        await server.dataSource
          .getRepository(Delivery)
          .update({ endpointId }, { status: 'cancelled', nextAttemptAt: null });
      }
      // The race this test is about did happen: a claim read back what it had leased.
      const rereads = findBy.mock.calls.filter(([, where]) =>
        /^roomy-/.test(String((where as { leaseOwner?: unknown }).leaseOwner)),
      );
      expect(rereads.length).toBeGreaterThan(0);
    } finally {
      findBy.mockRestore();
    }
  });

  // Which worker wins each opening of the window is a race; here the claims are made in a set order,
  // at set times, so the shared window is what decides.
  it("one worker's starts count in the other's rate window", async () => {
    const endpointId = await endpointNamed('shared-rate', { rate_limit_per_second: 3 }, ['nothing.matches']);
    // Due three hours from now: the running dispatchers leave them alone.
    const later = new Date(Date.now() + 10_800_000);
    const rows = Array.from({ length: 12 }, (_, i) =>
      newDelivery({ id: `evt_shared_rate${i}`, tenantId: 'shared-rate' }, endpointId, 'event', later),
    );
    await server.dataSource.getRepository(Delivery).insert(rows);
    const [a, b] = workers.map((worker) => worker.get(DeliveryClaims));
    const claim = async (claims: DeliveryClaims, token: string, afterMs: number) =>
      (
        await claims.claimDueDeliveries({
          leaseToken: token,
          limit: 10,
          now: new Date(later.getTime() + afterMs),
          leaseMs: 60_000,
        })
      ).filter((delivery) => delivery.endpointId === endpointId).length;
    try {
      expect(await claim(a!, 'shared-a1', 0)).toBe(3);
      // Per process, worker b would have had 3 more within the same second.
      expect(await claim(b!, 'shared-b1', 100)).toBe(0);
      expect(await claim(b!, 'shared-b2', 1_200)).toBe(3);
      expect(await claim(a!, 'shared-a2', 1_300)).toBe(0);
    } finally {
      await server.dataSource
        .getRepository(Delivery)
        .update({ endpointId }, { status: 'cancelled', nextAttemptAt: null });
    }
  });

  it('keeps rate_limit_per_second across workers: at most N requests in any second, not N per worker', async () => {
    const rate = 3;
    await endpointNamed('rated', { rate_limit_per_second: rate });
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
  });

  it("a worker delivers the api's publish at once, without waiting for its poll", async () => {
    // With both workers' polls stopped, nothing in flight and no retry pending, only the due probe
    // can tell a worker that the api process (which has no dispatcher) made a delivery due.
    const dispatchers = workers.map((worker) => worker.get(Dispatcher));
    for (const dispatcher of dispatchers) dispatcher.setPollInterval(null);
    try {
      await endpointNamed('probe', {});
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

import type { INestApplication } from '@nestjs/common';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { DeliveryAttempter } from '../src/dispatch/delivery-attempter';
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
    const created = await call(server, 'POST', '/webhook-endpoints', {
      body: { url: `${receiver.url}/shared`, events: ['*'], max_concurrency: 4, tenant_id: 'workers' },
    });
    expect(created.status).toBe(201);
    const other = await call(server, 'POST', '/webhook-endpoints', {
      body: { url: `${receiver.url}/other`, events: ['*'], max_concurrency: 2, tenant_id: 'workers' },
    });
    expect(other.status).toBe(201);
    receiver.on('/shared', () => ({ status: 200, delayMs: 80 }));
    receiver.on('/other', (_req, n) => (n % 3 === 0 ? { status: 500 } : { status: 200, delayMs: 30 }));

    const total = 60;
    const ids: string[] = [];
    for (let i = 0; i < total; i += 10) {
      const batch = await Promise.all(
        Array.from({ length: 10 }, () =>
          call(server, 'POST', '/events', { body: { type: 'x.y', data: {}, tenant_id: 'workers' } }),
        ),
      );
      ids.push(...batch.map((response) => response.body.id as string));
    }
    await receiver.waitFor(
      () => new Set(receiver.received('/shared').map((r) => r.headers['webhook-id'])).size === total,
      60_000,
      'every event at /shared',
    );
    await receiver.waitFor(
      () => new Set(receiver.received('/other').map((r) => r.headers['webhook-id'])).size === total,
      60_000,
      'every event at /other',
    );

    expect(receiver.maxOpen.get('/shared')).toBeLessThanOrEqual(4);
    expect(receiver.maxOpen.get('/other')).toBeLessThanOrEqual(2);
    // /shared always succeeds: exactly one request per event, however many workers raced for it.
    expect(receiver.received('/shared')).toHaveLength(total);
    expect(new Set(receiver.received('/shared').map((r) => r.headers['webhook-id']))).toEqual(new Set(ids));
    // Both workers took part.
    expect([...attemptsBy.values()].filter((n) => n > 0)).toHaveLength(2);
  });
});

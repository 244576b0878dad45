import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Delivery } from '../src/deliveries/delivery.entity';
import { newDelivery } from '../src/deliveries/new-delivery';
import { AttemptRefusedError, DeliveryAttempter } from '../src/dispatch/delivery-attempter';
import { Dispatcher } from '../src/dispatch/dispatcher';
import { CIRCUIT_OPEN_AFTER_FAILURES } from '../src/dispatch/endpoint-health';
import { TestReceiver } from './support/dispatch-receiver';
import { call } from './support/http';
import { describeEachDatabase, startServer, type TestDatabase, type TestServer } from './support/server';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A receiver and a server started with `env` around one describe block (closed after it), and helpers
 * bound to them.
 */
function harness(db: TestDatabase, env: Record<string, string>) {
  let server: TestServer;
  let receiver: TestReceiver;
  beforeAll(async () => {
    receiver = await TestReceiver.start();
    server = await startServer({ database: db, env });
  });
  afterAll(async () => {
    await server?.close();
    await receiver?.close();
  });
  let paths = 0;
  return {
    get server() {
      return server;
    },
    get receiver() {
      return receiver;
    },
    async endpoint(extra: Record<string, unknown> = {}) {
      const path = `/r-${++paths}`;
      const tenant = `r-${db}-${paths}-${Date.now()}`;
      const response = await call(server, 'POST', '/webhook-endpoints', {
        body: { url: `${receiver.url}${path}`, events: ['*'], tenant_id: tenant, ...extra },
      });
      expect(response.status).toBe(201);
      return { id: response.body.id as string, path, tenant };
    },
    async publish(tenant: string) {
      const response = await call(server, 'POST', '/events', {
        body: { type: 'order.paid', data: { n: 1 }, tenant_id: tenant },
      });
      expect(response.status).toBe(202);
      return response.body.id as string;
    },
    async deliveriesOf(endpointId: string) {
      return server.dataSource.getRepository(Delivery).find({ where: { endpointId }, order: { id: 'ASC' } });
    },
    async waitUntil(predicate: () => Promise<boolean>, timeoutMs: number, what: string) {
      const deadline = Date.now() + timeoutMs;
      while (!(await predicate())) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
        await sleep(50);
      }
    },
  };
}

describeEachDatabase('circuit breaking and manual attempts', (db) => {
  const h = harness(db, {
    WEBHOOKS_RETRY_SCHEDULE: '100ms,20s,20s',
    WEBHOOKS_ALLOW_PRIVATE_TARGETS: 'true',
    WEBHOOKS_REQUEST_TIMEOUT: '2s',
  });

  it('holds a failing endpoint’s backlog behind one probe, then drains it as soon as a probe succeeds', async () => {
    const target = await h.endpoint();
    let down = true;
    const backlog = CIRCUIT_OPEN_AFTER_FAILURES + 1;
    // Every first attempt is held until all of them have arrived, so none fails before the last is
    // claimed, however slowly a loaded machine publishes.
    const allArrived = h.receiver.waitFor(
      () => h.receiver.received(target.path).length >= backlog,
      10_000,
      'every first attempt',
    );
    h.receiver.on(target.path, () => (down ? { status: 500, holdUntil: allArrived } : { status: 200 }));
    await Promise.all(Array.from({ length: backlog }, () => h.publish(target.tenant)));

    // Every delivery's first attempt fails; the circuit opens; ONE probe follows (retry 1, ~100 ms later).
    await h.receiver.waitFor(
      () => h.receiver.received(target.path).length >= backlog + 1,
      10_000,
      'the probe',
    );
    await sleep(800);
    expect(h.receiver.received(target.path)).toHaveLength(backlog + 1);
    const held = await h.deliveriesOf(target.id);
    expect(held.map((d) => d.attempts).sort()).toEqual([...Array(backlog - 1).fill(1), 2]);
    expect(held.every((d) => d.status === 'retrying')).toBe(true);

    // The endpoint recovers. Its next delivery is the probe; its success releases the held backlog at
    // once, long before each delivery's own next retry (20 s away).
    down = false;
    const fresh = await h.publish(target.tenant);
    await h.waitUntil(
      async () => (await h.deliveriesOf(target.id)).every((d) => d.status === 'succeeded'),
      10_000,
      'the backlog to drain',
    );
    const drained = await h.deliveriesOf(target.id);
    expect(drained).toHaveLength(backlog + 1);
    expect(drained.find((d) => d.eventId === fresh)?.attempts).toBe(1);
    expect(h.receiver.received(target.path)).toHaveLength(backlog + 1 + backlog + 1);
    const endpoint = await call(h.server, 'GET', `/webhook-endpoints/${target.id}/stats`);
    expect(endpoint.status).toBe(200);
    expect(endpoint.body.consecutive_failures).toBe(0);
  });

  it('a manual attempt on a dead delivery stays dead when it fails and succeeds when the endpoint answers', async () => {
    const target = await h.endpoint();
    let status = 500;
    h.receiver.on(target.path, () => ({ status }));
    await h.publish(target.tenant);
    await h.receiver.waitFor(
      () => h.receiver.received(target.path).length === 1,
      10_000,
      'the first attempt',
    );
    await h.waitUntil(
      async () => (await h.deliveriesOf(target.id))[0]?.status === 'retrying',
      5_000,
      'retrying',
    );
    const [delivery] = await h.deliveriesOf(target.id);
    await h.server.dataSource
      .getRepository(Delivery)
      .update({ id: delivery!.id }, { status: 'dead', nextAttemptAt: null });

    const attempter = h.server.app.get(DeliveryAttempter);
    const { attempt: failed } = await attempter.attemptOnce(delivery!.id, {
      trigger: 'manual',
      retryOnFailure: false,
    });
    expect(failed).toMatchObject({
      attemptNumber: 2,
      trigger: 'manual',
      responseStatus: 500,
      errorCode: 'http_status',
    });
    expect((await h.deliveriesOf(target.id))[0]).toMatchObject({
      status: 'dead',
      attempts: 2,
      nextAttemptAt: null,
    });

    status = 200;
    const { attempt: ok } = await attempter.attemptOnce(delivery!.id, {
      trigger: 'manual',
      retryOnFailure: false,
    });
    expect(ok).toMatchObject({ attemptNumber: 3, responseStatus: 200, errorCode: null });
    expect((await h.deliveriesOf(target.id))[0]).toMatchObject({ status: 'succeeded', attempts: 3 });

    await expect(
      attempter.attemptOnce(delivery!.id, { trigger: 'manual', retryOnFailure: false }),
    ).rejects.toThrow(AttemptRefusedError);
  });

  it('a test delivery gets exactly one attempt and never touches the endpoint’s streak or status', async () => {
    const target = await h.endpoint();
    h.receiver.on(target.path, () => ({ status: 410 }));
    const eventId = await h.publish(`${target.tenant}-nobody`); // an event no endpoint subscribes to
    const event = { id: eventId, tenantId: target.tenant };
    const test = newDelivery(event, target.id, 'test', new Date());
    await h.server.dataSource.getRepository(Delivery).insert(test);

    const { attempt } = await h.server.app
      .get(DeliveryAttempter)
      .attemptOnce(test.id, { trigger: 'manual', retryOnFailure: true });
    expect(attempt).toMatchObject({ responseStatus: 410, attemptNumber: 1 });
    await sleep(700);
    expect(h.receiver.received(target.path)).toHaveLength(1);
    expect((await h.deliveriesOf(target.id))[0]).toMatchObject({ status: 'dead', attempts: 1 });
    const endpoint = await call(h.server, 'GET', `/webhook-endpoints/${target.id}`);
    expect(endpoint.body).toMatchObject({ status: 'enabled', disabled_reason: null });
    const [row] = await h.server.dataSource.query(
      `SELECT consecutive_failures AS n, failing_since AS since FROM endpoints WHERE id = '${target.id}'`,
    );
    expect(Number(row.n)).toBe(0);
    expect(row.since).toBeNull();
  });

  it('shutdown stops claiming and waits for attempts in flight', async () => {
    const target = await h.endpoint();
    h.receiver.on(target.path, () => ({ status: 200, delayMs: 600 }));
    await h.publish(target.tenant);
    await h.receiver.waitFor(() => h.receiver.received(target.path).length === 1, 10_000, 'the slow attempt');
    const dispatcher = h.server.app.get(Dispatcher);
    await dispatcher.beforeApplicationShutdown();
    expect(dispatcher.inFlightCount).toBe(0);
    expect((await h.deliveriesOf(target.id))[0]).toMatchObject({ status: 'succeeded', leaseOwner: null });

    // Nothing new is claimed once stopping.
    await h.publish(target.tenant);
    await sleep(700);
    expect(h.receiver.received(target.path)).toHaveLength(1);
  });
});

describeEachDatabase('address policy at connect time and the failing rule', (db) => {
  const h = harness(db, {
    WEBHOOKS_ALLOW_PRIVATE_TARGETS: 'false',
    WEBHOOKS_RETRY_SCHEDULE: '100ms,100ms,100ms,100ms,100ms',
    WEBHOOKS_DISABLE_AFTER: '1ms',
    WEBHOOKS_DISABLE_MIN_FAILURES: '3',
  });

  it('refuses loopback URLs at registration', async () => {
    const response = await call(h.server, 'POST', '/webhook-endpoints', {
      body: { url: `${h.receiver.url}/x`, events: ['*'] },
    });
    expect(response.status).toBe(400);
  });

  it('blocks a delivery whose target now resolves to loopback (blocked_address), then disables the endpoint (failing)', async () => {
    // Registered with a public literal (no DNS, no traffic), then the stored URL points at loopback:
    // what a DNS rebinding would do between registration and delivery.
    const tenant = `strict-${db}`;
    const created = await call(h.server, 'POST', '/webhook-endpoints', {
      body: { url: 'https://8.8.8.8/hook', events: ['*'], tenant_id: tenant },
    });
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    await h.server.dataSource.query(
      `UPDATE endpoints SET url = '${h.receiver.url}/blocked' WHERE id = '${id}'`,
    );

    for (let i = 0; i < 3; i++) await h.publish(tenant);
    await h.waitUntil(
      async () => (await call(h.server, 'GET', `/webhook-endpoints/${id}`)).body.status === 'disabled',
      15_000,
      'the endpoint to be disabled',
    );
    const endpoint = await call(h.server, 'GET', `/webhook-endpoints/${id}`);
    expect(endpoint.body.disabled_reason).toBe('failing');
    const deliveries = await h.deliveriesOf(id);
    expect(deliveries.every((d) => d.status === 'dead')).toBe(true);
    expect(deliveries.some((d) => d.lastError === 'blocked_address')).toBe(true);
    expect(h.receiver.received('/blocked')).toHaveLength(0);
    expect(h.receiver.requests).toHaveLength(0);
  });
});

describe('roles', () => {
  it('an api-only process serves /metrics too', async () => {
    const api = await startServer({ env: { WEBHOOKS_ROLE: 'api' } });
    try {
      const response = await fetch(`${api.url}/metrics`);
      expect(response.status).toBe(200);
      expect(await response.text()).toContain('acme_webhooks_queue_depth');
    } finally {
      await api.close();
    }
  });
});

import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { newId } from '../src/common/ids';
import { Attempt } from '../src/deliveries/attempt.entity';
import { Delivery } from '../src/deliveries/delivery.entity';
import { newDelivery } from '../src/deliveries/new-delivery';
import { DeliveryClaims } from '../src/dispatch/delivery-claims';
import { eventually, Fixture, sleep } from './replay-support';
import { TestReceiver } from './support/dispatch-receiver';
import { call, errorFields } from './support/http';
import { describeEachDatabase, startServer, type TestServer } from './support/server';

describeEachDatabase('inspection: test deliveries, manual retry, stats, list filters', (db) => {
  let server: TestServer;
  let receiver: TestReceiver;
  let fx: Fixture;

  beforeAll(async () => {
    receiver = await TestReceiver.start();
    server = await startServer({
      database: db,
      env: {
        WEBHOOKS_RETRY_SCHEDULE: '100ms,200ms',
        WEBHOOKS_ALLOW_PRIVATE_TARGETS: 'true',
        WEBHOOKS_REQUEST_TIMEOUT: '2s',
      },
    });
    fx = new Fixture(server, receiver, `in-${db}`);
  });
  afterAll(async () => {
    await receiver?.close();
    await server?.close();
  });

  const retry = (id: string, key?: string) => call(server, 'POST', `/deliveries/${id}/retry`, { key });
  const stats = (id: string, query = '') => call(server, 'GET', `/webhook-endpoints/${id}/stats${query}`);
  const attemptsOf = async (id: string) =>
    (await call(server, 'GET', `/deliveries/${id}/attempts`)).body.data;

  it('sends a test to one endpoint whatever its subscription and shows the attempt at once', async () => {
    const target = await fx.endpoint({ events: ['invoice.*'] });
    const bystander = await fx.endpoint({ events: ['*'] }, target.tenant);
    receiver.on(target.path, () => ({ status: 200, body: 'hello from the consumer' }));
    const response = await call(server, 'POST', `/webhook-endpoints/${target.id}/test`, { body: {} });
    expect(response.status).toBe(200);
    expect(response.body.delivery).toMatchObject({
      endpoint_id: target.id,
      trigger: 'test',
      status: 'succeeded',
    });
    expect(response.body.attempt).toMatchObject({
      attempt_number: 1,
      trigger: 'manual',
      response: { status: 200, body: 'hello from the consumer' },
      error: null,
    });
    expect(response.body.attempt.duration_ms).toEqual(expect.any(Number));
    const [request] = receiver.received(target.path);
    expect(request!.headers['x-webhook-event']).toBe('webhook.test');
    expect(JSON.parse(request!.body)).toMatchObject({
      type: 'webhook.test',
      id: response.body.delivery.event_id,
    });
    expect(receiver.received(bystander.path)).toHaveLength(0);

    const custom = await call(server, 'POST', `/webhook-endpoints/${target.id}/test`, {
      body: { type: 'order.created', data: { amount: 4900 } },
    });
    expect(custom.status).toBe(200);
    expect(JSON.parse(receiver.received(target.path)[1]!.body)).toMatchObject({
      type: 'order.created',
      data: { amount: 4900 },
    });
    const bad = await call(server, 'POST', `/webhook-endpoints/${target.id}/test`, {
      body: { type: 'a b', data: 3 },
    });
    expect(bad.status).toBe(400);
    expect(errorFields(bad.body).sort()).toEqual(['data', 'type']);
    // A test event is not replayed anywhere.
    const replay = await call(server, 'POST', `/events/${response.body.delivery.event_id}/replay`, {
      body: {},
    });
    expect(replay.status).toBe(409);
    const otherKey = await fx.tenantKey(`${target.tenant}-x`);
    const hidden = await call(server, 'POST', `/webhook-endpoints/${target.id}/test`, {
      body: {},
      key: otherKey,
    });
    expect(hidden.status).toBe(404);
  });

  it('a failed test is never retried and leaves the endpoint’s status and streak alone, even disabled', async () => {
    const target = await fx.endpoint();
    receiver.on(target.path, () => ({ status: 503, body: 'down for maintenance' }));
    await fx.setStatus(target.id, 'disabled');
    const response = await call(server, 'POST', `/webhook-endpoints/${target.id}/test`, { body: {} });
    expect(response.status).toBe(200);
    expect(response.body.delivery).toMatchObject({ status: 'dead', trigger: 'test', next_attempt_at: null });
    expect(response.body.attempt).toMatchObject({
      response: { status: 503, body: 'down for maintenance' },
      error: { code: 'http_status' },
    });
    await sleep(500);
    expect(receiver.received(target.path)).toHaveLength(1);
    const endpoint = await call(server, 'GET', `/webhook-endpoints/${target.id}`);
    expect(endpoint.body).toMatchObject({ status: 'disabled', disabled_reason: 'manual' });
    const numbers = await stats(target.id);
    expect(numbers.body).toMatchObject({
      attempts: 0,
      consecutive_failures: 0,
      failing_since: null,
      dead: 0,
    });
  });

  it('retries a dead delivery once now: succeeded, or dead again with no new schedule', async () => {
    const target = await fx.endpoint();
    receiver.on(target.path, () => ({ status: 500 }));
    const event = await fx.publish(target.tenant);
    const [dead] = await fx.waitForDeliveries(event.id, 'dead');
    expect(dead!.attempts).toBe(3);

    const again = await retry(dead!.id);
    expect(again.status).toBe(202);
    expect(again.body).toMatchObject({ id: dead!.id, status: 'dead', attempts: 4, next_attempt_at: null });
    await sleep(500);
    expect(receiver.received(target.path)).toHaveLength(4);

    receiver.on(target.path, () => ({ status: 200 }));
    const fixed = await retry(dead!.id);
    expect(fixed.status).toBe(202);
    expect(fixed.body).toMatchObject({ status: 'succeeded', attempts: 5, last_status_code: 200 });
    const attempts = await attemptsOf(dead!.id);
    expect(attempts.map((a: { trigger: string }) => a.trigger)).toEqual([
      'scheduled',
      'scheduled',
      'scheduled',
      'manual',
      'manual',
    ]);
    const conflict = await retry(dead!.id);
    expect(conflict.status).toBe(409);
    expect(conflict.headers.get('content-type')).toMatch(/application\/problem\+json/);

    const otherKey = await fx.tenantKey(`${target.tenant}-x`);
    expect((await retry(dead!.id, otherKey)).status).toBe(404);
    expect((await retry('dlv_nope')).status).toBe(404);
  });

  it('two retries of one dead delivery send it once: the later one finds it succeeded, a 409', async () => {
    const target = await fx.endpoint();
    receiver.on(target.path, () => ({ status: 500 }));
    const event = await fx.publish(target.tenant);
    const [dead] = await fx.waitForDeliveries(event.id, 'dead');
    receiver.on(target.path, () => ({ status: 200 }));

    // Both retries read the delivery as dead; whichever reaches the lease second gets there only
    // after the other one delivered it (the window between its status check and its lease, made
    // wide). Which HTTP request arrives first is up to the server, so the answers are compared as a set.
    const claims = server.app.get(DeliveryClaims);
    const leaseOne = claims.leaseOne.bind(claims);
    let calls = 0;
    const spy = vi.spyOn(claims, 'leaseOne').mockImplementation(async (...args) => {
      calls++;
      if (calls === 2) await fx.waitForDelivery(dead!.id, 'succeeded');
      return leaseOne(...args);
    });
    try {
      const answers = await Promise.all([retry(dead!.id), retry(dead!.id)]);
      expect(answers.map((answer) => answer.status).sort()).toEqual([202, 409]);
      expect(calls).toBe(2);
    } finally {
      spy.mockRestore();
    }
    expect(receiver.received(target.path)).toHaveLength(4);
    expect(await fx.delivery(dead!.id)).toMatchObject({ status: 'succeeded', attempts: 4 });
  });

  it('attempts a retrying delivery now, as a manual attempt; a cancelled one is a 409', async () => {
    const target = await fx.endpoint();
    receiver.on(target.path, () => ({ status: 500 }));
    const event = await fx.publish(target.tenant);
    const [delivery] = await fx.waitForDeliveries(event.id, 'dead');
    receiver.on(target.path, () => ({ status: 200 }));
    // Put it back as "retrying in an hour", as a long schedule would.
    const later = new Date(Date.now() + 3_600_000);
    await server.dataSource.manager.update(
      Delivery,
      { id: delivery!.id },
      { status: 'retrying', nextAttemptAt: later },
    );

    const forward = await retry(delivery!.id);
    expect(forward.status).toBe(202);
    expect(forward.body).toMatchObject({ status: 'succeeded', attempts: 4, next_attempt_at: null });
    const attempts = await attemptsOf(delivery!.id);
    expect(attempts.at(-1)).toMatchObject({ attempt_number: 4, trigger: 'manual' });

    await server.dataSource.manager.update(
      Delivery,
      { id: delivery!.id },
      { status: 'cancelled', nextAttemptAt: null },
    );
    expect((await retry(delivery!.id)).status).toBe(409);
  });

  /**
   * An endpoint answering `status`, and a delivery to it written directly (of an event the endpoint
   * is not subscribed to, so no dispatcher delivery races it): failed once, next retry in an hour,
   * one retry of the schedule left.
   */
  async function retryingDelivery(status: number, extra: Partial<Delivery> = {}) {
    const target = await fx.endpoint({ events: ['invoice.*'] });
    receiver.on(target.path, () => ({ status }));
    const event = await fx.publish(target.tenant, 'order.created');
    const later = new Date(Date.now() + 3_600_000);
    const delivery = {
      ...newDelivery({ id: event.id, tenantId: target.tenant }, target.id, 'event', new Date()),
      status: 'retrying' as const,
      attempts: 1,
      nextAttemptAt: later,
      ...extra,
    };
    await server.dataSource.manager.insert(Delivery, delivery);
    return { target, delivery, later };
  }

  it('a manual attempt of a retrying delivery that fails again keeps it on its schedule', async () => {
    const { delivery } = await retryingDelivery(500);

    const before = Date.now();
    const again = await retry(delivery.id);
    expect(again.status).toBe(202);
    expect(again.body).toMatchObject({ status: 'retrying', attempts: 2, last_status_code: 500 });
    const attemptedAt = Date.parse(again.body.last_attempt_at);
    expect(attemptedAt).toBeGreaterThanOrEqual(before - 1_000);
    // The next retry per the schedule (200 ms ± 20 % after this attempt), not the old hour.
    expect(Date.parse(again.body.next_attempt_at)).toBeGreaterThan(attemptedAt);
    expect(Date.parse(again.body.next_attempt_at)).toBeLessThan(attemptedAt + 60_000);
    const [attempt] = await attemptsOf(delivery.id);
    expect(attempt).toMatchObject({ attempt_number: 2, trigger: 'manual', response: { status: 500 } });
  });

  it('brings forward a retrying delivery that is being attempted right now, without a second attempt', async () => {
    // Leased by a worker, as if its request were in flight.
    const leaseExpiresAt = new Date(Date.now() + 3_600_000);
    const { target, delivery, later } = await retryingDelivery(200, {
      leaseOwner: 'another-worker',
      leaseExpiresAt,
    });

    const forward = await retry(delivery.id);
    expect(forward.status).toBe(202);
    expect(forward.body).toMatchObject({ status: 'retrying', attempts: 1 });
    expect(Date.parse(forward.body.next_attempt_at)).toBeLessThan(later.getTime() - 3_000_000);
    expect(receiver.received(target.path)).toHaveLength(0);
    expect(await attemptsOf(delivery.id)).toEqual([]);

    // A pending one whose first attempt is in flight is brought forward the same way.
    const pending = await retryingDelivery(200, {
      status: 'pending',
      attempts: 0,
      leaseOwner: 'another-worker',
      leaseExpiresAt,
    });
    const pendingForward = await retry(pending.delivery.id);
    expect(pendingForward.status).toBe(202);
    expect(pendingForward.body).toMatchObject({ status: 'pending', attempts: 0 });
    expect(Date.parse(pendingForward.body.next_attempt_at)).toBeLessThan(pending.later.getTime() - 3_000_000);
    expect(receiver.received(pending.target.path)).toHaveLength(0);
  });

  it('reports stats over a window without test attempts', async () => {
    const target = await fx.endpoint();
    const empty = await stats(target.id);
    expect(empty.status).toBe(200);
    expect(empty.body).toEqual({
      window: '24h',
      attempts: 0,
      succeeded: 0,
      failed: 0,
      success_rate: null,
      latency_ms: { p50: null, p95: null, p99: null },
      pending: 0,
      dead: 0,
      consecutive_failures: 0,
      failing_since: null,
    });

    receiver.sequence(target.path, [500, 500]);
    const event = await fx.publish(target.tenant);
    await fx.waitForDeliveries(event.id, 'succeeded');
    receiver.on(target.path, () => ({ status: 500 }));
    const failing = await fx.publish(target.tenant);
    await fx.waitForDeliveries(failing.id, 'dead');
    await call(server, 'POST', `/webhook-endpoints/${target.id}/test`, { body: {} });

    const numbers = await stats(target.id, '?window=1h');
    expect(numbers.body).toMatchObject({
      window: '1h',
      attempts: 6,
      succeeded: 1,
      failed: 5,
      success_rate: 0.1667,
      pending: 0,
      dead: 1,
      consecutive_failures: 3,
    });
    expect(numbers.body.failing_since).toEqual(expect.any(String));
    expect(numbers.body.latency_ms.p50).toEqual(expect.any(Number));

    expect((await stats(target.id, '?window=2d')).status).toBe(400);
    const otherKey = await fx.tenantKey(`${target.tenant}-x`);
    expect(
      (await call(server, 'GET', `/webhook-endpoints/${target.id}/stats`, { key: otherKey })).status,
    ).toBe(404);
  });

  it('computes nearest-rank latency percentiles and counts pending and dead deliveries', async () => {
    const target = await fx.endpoint();
    // Rows written directly: 100 attempts of 1…100 ms, one delivery per state.
    const now = new Date();
    const event = { id: newId('evt'), tenantId: target.tenant };
    const deliveries = (['succeeded', 'pending', 'retrying', 'dead', 'dead'] as const).map((status) => ({
      ...newDelivery(event, target.id, 'event', now),
      status,
      nextAttemptAt:
        status === 'pending' || status === 'retrying' ? new Date(now.getTime() + 3_600_000) : null,
    }));
    await server.dataSource.manager.insert(Delivery, deliveries);
    const attempts: Attempt[] = Array.from({ length: 100 }, (_, i) => ({
      id: newId('att'),
      deliveryId: deliveries[0]!.id,
      endpointId: target.id,
      tenantId: target.tenant,
      attemptNumber: i + 1,
      trigger: 'scheduled',
      startedAt: new Date(now.getTime() - 60_000),
      durationMs: 100 - i,
      requestUrl: 'http://127.0.0.1/',
      requestHeaders: {},
      responseStatus: i < 90 ? 200 : 500,
      responseHeaders: {},
      responseBody: '',
      responseBodyTruncated: false,
      errorCode: i < 90 ? null : 'http_status',
      errorMessage: null,
    }));
    // An old attempt outside every window.
    attempts.push({
      ...attempts[0]!,
      id: newId('att'),
      attemptNumber: 101,
      startedAt: new Date(now.getTime() - 8 * 86_400_000),
    });
    await server.dataSource.manager.insert(Attempt, attempts);

    const numbers = await stats(target.id, '?window=7d');
    expect(numbers.body).toMatchObject({
      attempts: 100,
      succeeded: 90,
      failed: 10,
      success_rate: 0.9,
      latency_ms: { p50: 50, p95: 95, p99: 99 },
      pending: 2,
      dead: 2,
    });
  });

  it('filters deliveries by status, endpoint, event and creation time', async () => {
    const a = await fx.endpoint();
    const b = await fx.endpoint({}, a.tenant);
    receiver.on(b.path, () => ({ status: 500 }));
    const first = await fx.publish(a.tenant);
    await eventually(async () => {
      const all = await fx.deliveriesOf(first.id);
      return all.every((d) => d.status === 'succeeded' || d.status === 'dead') ? true : undefined;
    }, 'settled deliveries');
    await sleep(20);
    const middle = new Date().toISOString();
    await sleep(20);
    const second = await fx.publish(a.tenant);

    const list = async (query: string) => {
      const response = await call(server, 'GET', `/deliveries?tenant_id=${a.tenant}&${query}`);
      expect(response.status).toBe(200);
      return response.body.data.map((d: { event_id: string; endpoint_id: string }) => [
        d.event_id,
        d.endpoint_id,
      ]);
    };
    expect(await list(`endpoint_id=${b.id}&status=dead`)).toEqual([[first.id, b.id]]);
    expect(await list(`event_id=${first.id}&status=succeeded`)).toEqual([[first.id, a.id]]);
    expect((await list(`since=${encodeURIComponent(middle)}`)).map(([event]: string[]) => event)).toEqual([
      second.id,
      second.id,
    ]);
    expect((await list(`until=${encodeURIComponent(middle)}`)).map(([event]: string[]) => event)).toEqual([
      first.id,
      first.id,
    ]);
    const bad = await call(server, 'GET', '/deliveries?since=yesterday');
    expect(bad.status).toBe(400);
    expect(errorFields(bad.body)).toEqual(['since']);

    const events = await call(
      server,
      'GET',
      `/events?tenant_id=${a.tenant}&type=invoice.paid&since=${encodeURIComponent(middle)}`,
    );
    expect(events.body.data.map((e: { id: string }) => e.id)).toEqual([second.id]);
  });
});

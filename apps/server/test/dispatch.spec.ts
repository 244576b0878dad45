import { verify } from '@acme/webhook-verify';
import { SchedulerRegistry } from '@nestjs/schedule';
import { Webhook } from 'standardwebhooks';
import { In } from 'typeorm';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { Delivery } from '../src/deliveries/delivery.entity';
import { newDelivery } from '../src/deliveries/new-delivery';
import { DeliveryClaims } from '../src/dispatch/delivery-claims';
import { Dispatcher } from '../src/dispatch/dispatcher';
import { TestReceiver } from './support/dispatch-receiver';
import { call } from './support/http';
import { describeEachDatabase, startServer, type TestServer } from './support/server';

const SCHEDULE = [100, 200, 300];

interface AttemptView {
  attempt_number: number;
  trigger: string;
  duration_ms: number;
  request: { url: string; headers: Record<string, string> };
  response: { status: number; body: string } | null;
  error: { code: string; message: string } | null;
}

describeEachDatabase('delivery engine', (db) => {
  let server: TestServer;
  let receiver: TestReceiver;
  let paths = 0;

  beforeAll(async () => {
    receiver = await TestReceiver.start();
    server = await startServer({
      database: db,
      env: {
        WEBHOOKS_RETRY_SCHEDULE: '100ms,200ms,300ms',
        WEBHOOKS_ALLOW_PRIVATE_TARGETS: 'true',
        WEBHOOKS_REQUEST_TIMEOUT: '1s',
      },
    });
  });
  afterAll(async () => {
    await server?.close();
    await receiver?.close();
  });

  /** A fresh endpoint on its own receiver path (each test has its own tenant, so events reach only it). */
  async function endpoint(extra: Record<string, unknown> = {}) {
    const path = `/hook-${++paths}`;
    const tenant = `t-${db}-${paths}`;
    const response = await call(server, 'POST', '/webhook-endpoints', {
      body: { url: `${receiver.url}${path}`, events: ['*'], tenant_id: tenant, ...extra },
    });
    expect(response.status).toBe(201);
    return { id: response.body.id as string, secret: response.body.secret as string, path, tenant };
  }

  async function publish(tenant: string, type = 'invoice.paid', data: Record<string, unknown> = { n: 1 }) {
    const response = await call(server, 'POST', '/events', { body: { type, data, tenant_id: tenant } });
    expect(response.status).toBe(202);
    return response.body as { id: string; created_at: string };
  }

  async function deliveryOf(eventId: string) {
    const list = await call(server, 'GET', `/events/${eventId}/deliveries`);
    expect(list.status).toBe(200);
    expect(list.body.data).toHaveLength(1);
    return list.body.data[0];
  }

  async function attemptsOf(deliveryId: string) {
    const response = await call(server, 'GET', `/deliveries/${deliveryId}/attempts`);
    expect(response.status).toBe(200);
    return response.body.data as AttemptView[];
  }

  async function waitForDelivery(eventId: string, status: string, timeoutMs = 15_000) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const delivery = await deliveryOf(eventId);
      if (delivery.status === status) return delivery;
      if (Date.now() > deadline) throw new Error(`delivery stayed ${delivery.status}, expected ${status}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** A delivery of `target` leased by another worker for a minute: it fills one of the endpoint's slots. */
  function heldByAnotherWorker(target: { id: string; tenant: string }, name: string, now: Date): Delivery {
    return {
      ...newDelivery({ id: `evt_${name}_${db}`, tenantId: target.tenant }, target.id, 'event', now),
      leaseOwner: 'another-worker',
      leaseExpiresAt: new Date(now.getTime() + 60_000),
    };
  }

  /** Takes deliveries a test inserted out of every later claim. */
  async function cancelDeliveries(ids: string[]) {
    await server.dataSource
      .getRepository(Delivery)
      .update(
        { id: In(ids) },
        { status: 'cancelled', nextAttemptAt: null, leaseOwner: null, leaseExpiresAt: null },
      );
  }

  // First, while nothing else is in flight: with the poll and the due probe stopped, no retry timer
  // set and no attempt finishing, only the publish itself can start this event's attempt (here by
  // handing it to the dispatcher; test/handoff.spec.ts shows the wake-up when a claim must take it).
  it('a publish wakes the dispatcher without waiting for a poll', async () => {
    const dispatcher = server.app.get(Dispatcher);
    const target = await endpoint();
    await new Promise((resolve) => setTimeout(resolve, 100));
    dispatcher.setPollInterval(null);
    dispatcher.setDueProbeInterval(null);
    try {
      const event = await publish(target.tenant);
      await receiver.waitFor(() => receiver.received(target.path).length === 1, 10_000, 'the woken delivery');
      expect(receiver.received(target.path)[0]!.headers['webhook-id']).toBe(event.id);
    } finally {
      dispatcher.setPollInterval(500);
      dispatcher.setDueProbeInterval(50);
    }
  });

  // Still quiet: with the poll stopped, only the due probe can wake the dispatcher for a delivery it
  // did not publish. One that no claim can take yet (its endpoint's one slot is another worker's)
  // must wake it once, not on every probe (the probe remembers what it has seen).
  it('the due probe wakes the dispatcher once for a due delivery, not on every probe', async () => {
    const dispatcher = server.app.get(Dispatcher);
    const claims = server.app.get(DeliveryClaims);
    const deliveries = server.dataSource.getRepository(Delivery);
    const target = await endpoint({ max_concurrency: 1 });
    const now = new Date();
    const held = heldByAnotherWorker(target, 'held', now);
    const waiting = newDelivery(
      { id: `evt_waiting_${db}`, tenantId: target.tenant },
      target.id,
      'event',
      now,
    );
    dispatcher.setPollInterval(null);
    // Let whatever round an earlier wake asked for run before counting.
    await new Promise((resolve) => setTimeout(resolve, 100));
    const rounds = vi.spyOn(claims, 'claimDueBatch');
    try {
      await deliveries.insert([held, waiting]);
      await new Promise((resolve) => setTimeout(resolve, 600));
      // About twelve probes ran; the first to see the delivery woke one claim round, which found
      // the endpoint full.
      expect(rounds.mock.calls.length).toBeGreaterThanOrEqual(1);
      expect(rounds.mock.calls.length).toBeLessThanOrEqual(2);
      expect(await deliveries.findOneByOrFail({ id: waiting.id })).toMatchObject({
        status: 'pending',
        attempts: 0,
        leaseOwner: null,
      });
    } finally {
      rounds.mockRestore();
      dispatcher.setPollInterval(500);
      await cancelDeliveries([held.id, waiting.id]);
    }
  });

  // Commits do not land in due-time order: another process's publish may commit after the probe has
  // seen a delivery due later than it. With the poll stopped, the probe alone must still wake the
  // dispatcher for it.
  it('the due probe finds a delivery committed after one due later that it already saw', async () => {
    const dispatcher = server.app.get(Dispatcher);
    const deliveries = server.dataSource.getRepository(Delivery);
    const full = await endpoint({ max_concurrency: 1 });
    const target = await endpoint({ events: ['late.commit'] });
    // Its event, published without a delivery (the endpoint does not subscribe to this type).
    const event = await publish(target.tenant, 'no.subscriber');
    const now = new Date();
    // Seen by the probe and left pending: its endpoint's one slot is another worker's.
    const held = heldByAnotherWorker(full, 'held2', now);
    const waiting = newDelivery({ id: `evt_waiting2_${db}`, tenantId: full.tenant }, full.id, 'event', now);
    dispatcher.setPollInterval(null);
    try {
      await deliveries.insert([held, waiting]);
      await new Promise((resolve) => setTimeout(resolve, 300));
      const late = newDelivery(
        { id: event.id, tenantId: target.tenant },
        target.id,
        'event',
        new Date(now.getTime() - 200),
      );
      await deliveries.insert(late);
      await receiver.waitFor(
        () => receiver.received(target.path).length === 1,
        3_000,
        'the delivery committed late',
      );
      expect(receiver.received(target.path)[0]!.headers['webhook-id']).toBe(event.id);
    } finally {
      dispatcher.setPollInterval(500);
      await cancelDeliveries([held.id, waiting.id]);
    }
  });

  // Another worker attempted a delivery this probe had already seen, and its retry falls due within
  // the probe's look-back: that is a new due delivery to wake for, not one already seen.
  it('the due probe wakes again for a delivery due again after another attempt', async () => {
    const dispatcher = server.app.get(Dispatcher);
    const deliveries = server.dataSource.getRepository(Delivery);
    const target = await endpoint({ max_concurrency: 1, events: ['retried.elsewhere'] });
    const event = await publish(target.tenant, 'no.subscriber');
    const now = new Date();
    // The endpoint's one slot is another worker's, so the probe sees `retried` and leaves it pending.
    const held = heldByAnotherWorker(target, 'held3', now);
    const retried = newDelivery({ id: event.id, tenantId: target.tenant }, target.id, 'event', now);
    dispatcher.setPollInterval(null);
    try {
      await deliveries.insert([held, retried]);
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(receiver.received(target.path)).toHaveLength(0);
      // The other worker: its attempt failed, its retry is due in 300 ms, and it frees the slot.
      await deliveries.update(
        { id: retried.id },
        { status: 'retrying', attempts: 1, nextAttemptAt: new Date(Date.now() + 300) },
      );
      await cancelDeliveries([held.id]);
      await receiver.waitFor(() => receiver.received(target.path).length === 1, 3_000, 'the retry');
      expect(receiver.received(target.path)[0]!.headers['webhook-id']).toBe(event.id);
    } finally {
      dispatcher.setPollInterval(500);
      await cancelDeliveries([held.id, retried.id]);
    }
  });

  it("runs the worker's sweeps on @nestjs/schedule; an api-only process runs none", async () => {
    const names = (app: TestServer['app']) => {
      const registry = app.get(SchedulerRegistry);
      return [...registry.getIntervals(), ...registry.getTimeouts()].sort();
    };
    expect(names(server.app)).toEqual(
      expect.arrayContaining([
        'dispatch-disable-sweep',
        'dispatch-due-probe',
        'dispatch-poll',
        'retention-purge',
      ]),
    );
    const api = await startServer({ database: db, env: { WEBHOOKS_ROLE: 'api' } });
    try {
      expect(() => api.app.get(SchedulerRegistry)).toThrow();
    } finally {
      await api.close();
    }
  });

  it('delivers the stored payload, signed for @acme/webhook-verify and standardwebhooks, with §4 headers', async () => {
    const target = await endpoint({ headers: { Authorization: 'Bearer consumer-token' } });
    const event = await publish(target.tenant, 'invoice.created', { amount: 1.5, note: 'héllo ☃' });
    await receiver.waitFor(() => receiver.received(target.path).length === 1, 15_000, 'the delivery');
    const [request] = receiver.received(target.path);
    const [stored] = await server.dataSource.query(`SELECT payload FROM events WHERE id = '${event.id}'`);
    expect(request!.body).toBe(stored.payload);
    expect(request!.headers).toMatchObject({
      'content-type': 'application/json',
      'user-agent': 'Acme-Webhooks/1.0',
      'x-webhook-event': 'invoice.created',
      'webhook-id': event.id,
      authorization: 'Bearer consumer-token',
    });
    expect(verify(request!.body, request!.headers, target.secret)).toMatchObject({
      id: event.id,
      type: 'invoice.created',
    });
    const { 'x-webhook-signature': _ours, ...standardOnly } = request!.headers;
    expect(verify(request!.body, standardOnly, target.secret)).toMatchObject({ id: event.id });
    expect(
      new Webhook(target.secret.slice('whsec_'.length)).verify(request!.body, request!.headers),
    ).toMatchObject({
      id: event.id,
    });

    const delivery = await waitForDelivery(event.id, 'succeeded');
    expect(delivery).toMatchObject({
      attempts: 1,
      last_status_code: 200,
      last_error: null,
      next_attempt_at: null,
    });
    const [attempt] = await attemptsOf(delivery.id);
    expect(attempt).toMatchObject({
      attempt_number: 1,
      trigger: 'scheduled',
      response: { status: 200 },
      error: null,
      request: { url: `${receiver.url}${target.path}` },
    });
  });

  it('retries 500, 500, then succeeds on the third attempt, waiting the scheduled gaps', async () => {
    const target = await endpoint();
    receiver.sequence(target.path, [500, 500]);
    const event = await publish(target.tenant);
    const delivery = await waitForDelivery(event.id, 'succeeded');
    expect(delivery.attempts).toBe(3);
    const times = receiver.received(target.path).map((request) => request.at);
    expect(times).toHaveLength(3);
    for (const [i, base] of SCHEDULE.slice(0, 2).entries()) {
      const gap = times[i + 1]! - times[i]!;
      expect(gap).toBeGreaterThanOrEqual(base * 0.8 - 5);
      expect(gap).toBeLessThan(base * 1.2 + 1_500);
    }
    const attempts = await attemptsOf(delivery.id);
    expect(attempts.map((a) => [a.attempt_number, a.response?.status, a.error?.code ?? null])).toEqual([
      [1, 500, 'http_status'],
      [2, 500, 'http_status'],
      [3, 200, null],
    ]);
    // Every attempt carries the same body and event id, freshly signed.
    const bodies = new Set(receiver.received(target.path).map((request) => request.body));
    expect(bodies.size).toBe(1);
  });

  it('gives up after the last retry (dead), then stays silent', async () => {
    const target = await endpoint();
    receiver.on(target.path, () => ({ status: 500 }));
    const event = await publish(target.tenant);
    const delivery = await waitForDelivery(event.id, 'dead');
    expect(delivery).toMatchObject({
      attempts: 4,
      last_status_code: 500,
      last_error: 'http_status',
      next_attempt_at: null,
    });
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(receiver.received(target.path)).toHaveLength(4);
  });

  it('410 Gone kills the delivery and disables the endpoint (gone), and its other open deliveries die', async () => {
    const target = await endpoint({ max_concurrency: 1 });
    receiver.on(target.path, (_req, n) => (n === 1 ? { status: 410, delayMs: 200 } : { status: 200 }));
    const first = await publish(target.tenant);
    await receiver.waitFor(() => receiver.received(target.path).length === 1, 15_000, 'the first request');
    const second = await publish(target.tenant);
    expect((await waitForDelivery(first.id, 'dead')).attempts).toBe(1);
    const endpointNow = await call(server, 'GET', `/webhook-endpoints/${target.id}`);
    expect(endpointNow.body).toMatchObject({ status: 'disabled', disabled_reason: 'gone' });
    expect((await waitForDelivery(second.id, 'dead')).attempts).toBe(0);
    expect(receiver.received(target.path)).toHaveLength(1);
  });

  it('honours Retry-After on 429/503 (later than the schedule) without adding a retry', async () => {
    const target = await endpoint();
    receiver.on(target.path, (_req, n) =>
      n === 1 ? { status: 503, headers: { 'retry-after': '1' } } : { status: 200 },
    );
    const event = await publish(target.tenant);
    await waitForDelivery(event.id, 'succeeded');
    const [first, second] = receiver.received(target.path);
    expect(second!.at - first!.at).toBeGreaterThanOrEqual(990);
  });

  it('times out a hanging endpoint (timeout) and schedules a retry', async () => {
    const target = await endpoint();
    receiver.on(target.path, (_req, n) => (n === 1 ? 'hang' : { status: 200 }));
    const event = await publish(target.tenant);
    const delivery = await waitForDelivery(event.id, 'succeeded');
    const attempt = (await attemptsOf(delivery.id))[0]!;
    expect(attempt.error).toMatchObject({ code: 'timeout' });
    expect(attempt.response).toBeNull();
    expect(attempt.duration_ms).toBeGreaterThanOrEqual(950);
  });

  it('reports connection refused and connection reset', async () => {
    const closed = await TestReceiver.start();
    const closedUrl = closed.url;
    await closed.close();
    const refused = await endpoint();
    await call(server, 'PATCH', `/webhook-endpoints/${refused.id}`, { body: { url: `${closedUrl}/nobody` } });
    const reset = await endpoint();
    receiver.on(reset.path, () => 'reset');
    const [a, b] = [await publish(refused.tenant), await publish(reset.tenant)];
    const [refusedDelivery, resetDelivery] = [
      await waitForDelivery(a.id, 'dead'),
      await waitForDelivery(b.id, 'dead'),
    ];
    expect(refusedDelivery.last_error).toBe('connection_refused');
    expect(resetDelivery.last_error).toBe('connection_reset');
    expect(
      (await attemptsOf(resetDelivery.id)).every((attempt) => attempt.error?.code === 'connection_reset'),
    ).toBe(true);
  });

  it('does not follow redirects (redirect)', async () => {
    const target = await endpoint();
    const elsewhere = `${target.path}-moved`;
    receiver.on(target.path, () => ({ status: 302, headers: { location: elsewhere } }));
    const event = await publish(target.tenant);
    const delivery = await waitForDelivery(event.id, 'dead');
    expect(delivery).toMatchObject({ last_error: 'redirect', last_status_code: 302 });
    expect(receiver.received(elsewhere)).toHaveLength(0);
  });

  it('never exceeds max_concurrency', async () => {
    const target = await endpoint({ max_concurrency: 3 });
    receiver.on(target.path, () => ({ status: 200, delayMs: 100 }));
    const events = await Promise.all(Array.from({ length: 15 }, () => publish(target.tenant)));
    await receiver.waitFor(
      () => receiver.received(target.path).length >= events.length,
      20_000,
      'all deliveries',
    );
    expect(receiver.maxOpen.get(target.path)).toBeLessThanOrEqual(3);
    expect(receiver.maxOpen.get(target.path)).toBeGreaterThanOrEqual(2);
    expect(new Set(receiver.received(target.path).map((request) => request.headers['webhook-id'])).size).toBe(
      15,
    );
  });

  it('keeps delivering to a healthy endpoint while another hangs', async () => {
    const hanging = await endpoint();
    const healthy = await endpoint();
    receiver.on(hanging.path, () => 'hang');
    const hangingOpenAtArrival: number[] = [];
    receiver.on(healthy.path, () => {
      hangingOpenAtArrival.push(receiver.openNow(hanging.path));
      return { status: 200 };
    });
    for (let i = 0; i < 6; i++) {
      await publish(hanging.tenant);
      await publish(healthy.tenant);
    }
    await receiver.waitFor(
      () => receiver.received(healthy.path).length === 6,
      15_000,
      'the healthy deliveries',
    );
    // The last healthy delivery arrived while the hanging endpoint still held requests open.
    expect(hangingOpenAtArrival.at(-1)).toBeGreaterThan(0);
  });

  it('keeps rate_limit_per_second in every one-second window', async () => {
    const target = await endpoint({ rate_limit_per_second: 4 });
    await Promise.all(Array.from({ length: 10 }, () => publish(target.tenant)));
    await receiver.waitFor(() => receiver.received(target.path).length === 10, 15_000, 'all deliveries');
    const times = receiver.received(target.path).map((request) => request.at);
    for (const start of times) {
      expect(times.filter((t) => t >= start && t < start + 1_000).length).toBeLessThanOrEqual(4);
    }
  });

  // A claim reads the oldest due deliveries in a window of at most 128 rows. A rate-limited
  // endpoint's backlog larger than that, all due before the other endpoint's event, must not fill
  // the window while the endpoint waits for its rate: the other endpoint's delivery goes out at once.
  it("a rate-limited endpoint's backlog does not hold back another endpoint", async () => {
    const slow = await endpoint({ rate_limit_per_second: 1 });
    const other = await endpoint();
    try {
      for (let i = 0; i < 5; i++) {
        await Promise.all(Array.from({ length: 30 }, () => publish(slow.tenant)));
      }
      await publish(other.tenant);
      await receiver.waitFor(
        () => receiver.received(other.path).length === 1,
        3_000,
        "the other endpoint's delivery",
      );
      // 150 due deliveries, and the slow endpoint's rate held while the other one was served.
      expect(receiver.received(slow.path).length).toBeLessThanOrEqual(1 + Math.ceil(3_000 / 1_000));
    } finally {
      expect((await call(server, 'DELETE', `/webhook-endpoints/${slow.id}`)).status).toBe(204);
    }
  });

  it('serves Prometheus metrics without authentication', async () => {
    const response = await fetch(`${server.url}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await response.text();
    expect(text).toMatch(/acme_webhooks_deliveries_total\{outcome="succeeded"\} \d+/);
    expect(text).toMatch(/acme_webhooks_attempt_duration_seconds_bucket/);
    expect(text).toMatch(/acme_webhooks_queue_depth\{status="retrying",state="due"\} \d+/);
    expect(text).toMatch(/acme_webhooks_oldest_due_delivery_age_seconds \d/);
    expect(text).toMatch(/acme_webhooks_endpoints_disabled\{reason="gone"\} [1-9]/);
  });
});

import { verify } from '@acme/webhook-verify';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { newId } from '../src/common/ids';
import { WebhookEvent } from '../src/events/event.entity';
import { ReplayRunner } from '../src/replay/replay-runner';
import { MAX_REPLAY_EVENTS } from '../src/replay/replay-selection';
import { eventually, Fixture, sleep } from './replay-support';
import { TestReceiver } from './support/dispatch-receiver';
import { call, errorFields } from './support/http';
import { describeEachDatabase, startServer, type TestServer } from './support/server';

const ENV = {
  WEBHOOKS_RETRY_SCHEDULE: '100ms,200ms',
  WEBHOOKS_ALLOW_PRIVATE_TARGETS: 'true',
  // Long, so a receiver that never answers keeps its delivery in flight for the whole test.
  WEBHOOKS_REQUEST_TIMEOUT: '30s',
};

describeEachDatabase('replay', (db) => {
  let server: TestServer;
  let receiver: TestReceiver;
  let fx: Fixture;

  beforeAll(async () => {
    receiver = await TestReceiver.start();
    server = await startServer({ database: db, env: ENV });
    fx = new Fixture(server, receiver, `rp-${db}`);
  });
  afterAll(async () => {
    // The receiver first: it drops the hanging request, so the server's shutdown need not wait for it.
    await receiver?.close();
    await server?.close();
  });

  const replayEvent = (eventId: string, body: Record<string, unknown> = {}, key?: string) =>
    call(server, 'POST', `/events/${eventId}/replay`, { body, key });
  const replayEndpoint = (endpointId: string, body: Record<string, unknown>, key?: string) =>
    call(server, 'POST', `/webhook-endpoints/${endpointId}/replay`, { body, key });
  const waitForReplay = (id: string) =>
    eventually(async () => {
      const response = await call(server, 'GET', `/replays/${id}`);
      expect(response.status).toBe(200);
      return response.body.status === 'running' ? undefined : response.body;
    }, `replay ${id} to finish`);

  it('re-sends the same body bytes and webhook-id with a newer signature timestamp', async () => {
    const target = await fx.endpoint();
    const event = await fx.publish(target.tenant, 'invoice.created', { amount: 12.5, note: 'héllo ☃' });
    const [original] = await fx.waitForDeliveries(event.id, 'succeeded');
    // Signature timestamps are whole seconds.
    await sleep(1_100);

    const response = await replayEvent(event.id);
    expect(response.status).toBe(202);
    expect(response.body.deliveries).toHaveLength(1);
    const [replayed] = response.body.deliveries;
    expect(replayed).toMatchObject({
      event_id: event.id,
      endpoint_id: target.id,
      trigger: 'replay',
      status: 'pending',
    });
    expect(replayed.id).not.toBe(original!.id);

    await receiver.waitFor(() => receiver.received(target.path).length === 2, 15_000, 'the replay');
    const [first, second] = receiver.received(target.path);
    expect(second!.body).toBe(first!.body);
    expect(second!.headers['webhook-id']).toBe(event.id);
    expect(second!.headers['webhook-id']).toBe(first!.headers['webhook-id']);
    expect(Number(second!.headers['webhook-timestamp'])).toBeGreaterThan(
      Number(first!.headers['webhook-timestamp']),
    );
    expect(verify(second!.body, second!.headers, target.secret)).toMatchObject({ id: event.id });
    await fx.waitForDelivery(replayed.id, 'succeeded');
    expect(await fx.deliveriesOf(event.id)).toHaveLength(2);
  });

  it('refuses disabled, unsubscribed and other tenants’ endpoints with nothing enqueued', async () => {
    const tenant = `rp-${db}-rules`;
    const all = await fx.endpoint({ events: ['*'] }, tenant);
    const invoices = await fx.endpoint({ events: ['invoice.*'] }, tenant);
    const off = await fx.endpoint({ events: ['*'] }, tenant);
    await fx.setStatus(off.id, 'disabled');
    const stranger = await fx.endpoint({ events: ['*'] }, `${tenant}-other`);
    const event = await fx.publish(tenant, 'order.created');
    await fx.waitForDeliveries(event.id, 'succeeded', 1);

    const unsubscribed = await replayEvent(event.id, { endpoint_ids: [all.id, invoices.id] });
    expect(unsubscribed.status).toBe(409);
    expect(unsubscribed.headers.get('content-type')).toMatch(/application\/problem\+json/);
    expect(errorFields(unsubscribed.body)).toEqual(['endpoint_ids[1]']);
    expect(unsubscribed.body.detail).toContain('not subscribed');

    const disabled = await replayEvent(event.id, { endpoint_ids: [all.id, off.id] });
    expect(disabled.status).toBe(409);
    expect(disabled.body.detail).toContain('disabled');

    expect((await replayEvent(event.id, { endpoint_ids: [all.id, stranger.id] })).status).toBe(409);
    const key = await fx.tenantKey(tenant);
    expect((await replayEvent(event.id, { endpoint_ids: [all.id, stranger.id] }, key)).status).toBe(404);
    expect((await replayEvent(event.id, { endpoint_ids: ['wh_01JH2Y4S8M1V8X9Q2W3E4R5T6Y'] })).status).toBe(
      404,
    );
    expect((await replayEvent(event.id, { endpoint_ids: ['nope'] })).status).toBe(400);
    expect((await replayEvent(event.id, { endpoint_ids: [] })).status).toBe(400);
    // Another tenant's key does not see the event at all.
    const strangerKey = await fx.tenantKey(`${tenant}-other`);
    expect((await replayEvent(event.id, {}, strangerKey)).status).toBe(404);
    expect(await fx.deliveriesOf(event.id)).toHaveLength(1);

    // Unnamed: every enabled, subscribed endpoint of the tenant, and only those.
    const fanOut = await replayEvent(event.id, {}, key);
    expect(fanOut.status).toBe(202);
    expect(fanOut.body.deliveries.map((d: { endpoint_id: string }) => d.endpoint_id)).toEqual([all.id]);
    await receiver.waitFor(() => receiver.received(all.path).length === 2, 15_000, 'the replay');
    expect(receiver.received(invoices.path)).toHaveLength(0);
    expect(receiver.received(off.path)).toHaveLength(0);
    expect(receiver.received(stranger.path)).toHaveLength(0);
  });

  it('returns the delivery still in flight instead of a second one', async () => {
    const target = await fx.endpoint();
    receiver.on(target.path, () => 'hang');
    const event = await fx.publish(target.tenant);
    await receiver.waitFor(() => receiver.received(target.path).length === 1, 15_000, 'the hanging request');
    const [inFlight] = await fx.deliveriesOf(event.id);

    const unnamed = await replayEvent(event.id);
    const named = await replayEvent(event.id, { endpoint_ids: [target.id] });
    for (const response of [unnamed, named]) {
      expect(response.status).toBe(202);
      expect(response.body.deliveries.map((d: { id: string }) => d.id)).toEqual([inFlight!.id]);
    }
    expect(await fx.deliveriesOf(event.id)).toHaveLength(1);
    // And an endpoint replay skips it too.
    const dry = await replayEndpoint(target.id, {
      since: new Date(Date.now() - 60_000).toISOString(),
      dry_run: true,
    });
    expect(dry.body.matched).toBe(0);
  });

  it('recovers exactly what a disabled endpoint missed, once; a second dry run then counts zero', async () => {
    const since = new Date(Date.now() - 1_000).toISOString();
    const target = await fx.endpoint({ events: ['invoice.*'] });
    const before = await fx.publish(target.tenant, 'invoice.paid');
    await fx.waitForDeliveries(before.id, 'succeeded');
    await fx.setStatus(target.id, 'disabled');
    const missed = [];
    for (let i = 0; i < 3; i++) missed.push(await fx.publish(target.tenant, 'invoice.paid', { i }));
    await fx.publish(target.tenant, 'order.created'); // not subscribed: never replayed
    for (const event of missed) expect(await fx.deliveriesOf(event.id)).toHaveLength(0);

    const refused = await replayEndpoint(target.id, { since });
    expect(refused.status).toBe(409);
    const dryWhileDisabled = await replayEndpoint(target.id, { since, dry_run: true });
    expect(dryWhileDisabled.status).toBe(202);
    expect(dryWhileDisabled.body).toMatchObject({
      status: 'completed',
      matched: 3,
      enqueued: 0,
      dry_run: true,
    });

    await fx.setStatus(target.id, 'enabled');
    const started = await replayEndpoint(target.id, { since });
    expect(started.status).toBe(202);
    expect(started.body).toMatchObject({ matched: 3, only: 'undelivered', endpoint_id: target.id });
    expect(started.body.id).toMatch(/^rpl_[0-9A-Z]{26}$/);
    const finished = await waitForReplay(started.body.id);
    expect(finished).toMatchObject({ status: 'completed', matched: 3, enqueued: 3, error: null });

    await receiver.waitFor(() => receiver.received(target.path).length === 4, 15_000, 'the missed events');
    for (const event of missed) await fx.waitForDeliveries(event.id, 'succeeded');
    await sleep(300);
    // Each missed event exactly once (in any order: deliveries run concurrently).
    const ids = receiver.received(target.path).map((request) => request.headers['webhook-id']);
    expect(ids.sort()).toEqual([before.id, ...missed.map((event) => event.id)].sort());

    const again = await replayEndpoint(target.id, { since, dry_run: true });
    expect(again.body).toMatchObject({ status: 'completed', matched: 0 });
    const everything = await replayEndpoint(target.id, { since, dry_run: true, only: 'all' });
    expect(everything.body.matched).toBe(4);
    const narrowed = await replayEndpoint(target.id, {
      since,
      dry_run: true,
      only: 'all',
      types: ['invoice.refunded'],
    });
    expect(narrowed.body.matched).toBe(0);
  });

  it('counts nothing from before the endpoint existed, though the window reaches back further', async () => {
    const tenant = `rp-${db}-early`;
    const early = await fx.publish(tenant, 'invoice.paid');
    await sleep(20); // the endpoint's creation time strictly after the early event's
    const target = await fx.endpoint({}, tenant);
    const since = new Date(Date.now() - 60_000).toISOString();
    const before = await replayEndpoint(target.id, { since, dry_run: true, only: 'all' });
    expect(before.status).toBe(202);
    expect(before.body).toMatchObject({ status: 'completed', matched: 0 });

    const late = await fx.publish(tenant, 'invoice.paid');
    await fx.waitForDeliveries(late.id, 'succeeded');
    const after = await replayEndpoint(target.id, { since, dry_run: true, only: 'all' });
    expect(after.body).toMatchObject({ status: 'completed', matched: 1 });
    expect(early.id).not.toBe(late.id);
  });

  it('replays deliveries that died, and only those, with only=undelivered', async () => {
    const target = await fx.endpoint();
    receiver.on(target.path, () => ({ status: 500 }));
    const since = new Date(Date.now() - 1_000).toISOString();
    const failed = await fx.publish(target.tenant, 'invoice.paid', { fails: true });
    await fx.waitForDeliveries(failed.id, 'dead');
    receiver.on(target.path, () => ({ status: 200 }));
    const fine = await fx.publish(target.tenant, 'invoice.paid', { fails: false });
    await fx.waitForDeliveries(fine.id, 'succeeded');

    const started = await replayEndpoint(target.id, { since });
    expect(started.body.matched).toBe(1);
    expect(await waitForReplay(started.body.id)).toMatchObject({ status: 'completed', enqueued: 1 });
    const deliveries = await eventually(async () => {
      const all = await fx.deliveriesOf(failed.id);
      return all.some((d) => d.trigger === 'replay' && d.status === 'succeeded') ? all : undefined;
    }, 'the replayed delivery');
    expect(deliveries.map((d) => [d.trigger, d.status]).sort()).toEqual([
      ['event', 'dead'],
      ['replay', 'succeeded'],
    ]);
    expect(await fx.deliveriesOf(fine.id)).toHaveLength(1);
  });

  it('validates the window and hides other tenants’ replays', async () => {
    const target = await fx.endpoint();
    const now = Date.now();
    const backwards = await replayEndpoint(target.id, {
      since: new Date(now).toISOString(),
      until: new Date(now - 60_000).toISOString(),
    });
    expect(backwards.status).toBe(400);
    expect(errorFields(backwards.body)).toEqual(['since']);
    const tooLong = await replayEndpoint(target.id, { since: new Date(now - 31 * 86_400_000).toISOString() });
    expect(tooLong.status).toBe(400);
    expect(tooLong.body.errors[0].message).toContain('retention');
    const bad = await replayEndpoint(target.id, {
      since: 'yesterday',
      only: 'some',
      types: ['a*b'],
      dry_run: 'yes',
    });
    expect(bad.status).toBe(400);
    expect(errorFields(bad.body).sort()).toEqual(['dry_run', 'only', 'since', 'types[0]']);

    const replay = await replayEndpoint(target.id, {
      since: new Date(now - 60_000).toISOString(),
      dry_run: true,
    });
    const otherKey = await fx.tenantKey(`${target.tenant}-x`);
    expect((await call(server, 'GET', `/replays/${replay.body.id}`, { key: otherKey })).status).toBe(404);
    expect((await replayEndpoint(target.id, { since: new Date(now).toISOString() }, otherKey)).status).toBe(
      404,
    );
    const ownKey = await fx.tenantKey(target.tenant);
    const own = await call(server, 'GET', `/replays/${replay.body.id}`, { key: ownKey });
    expect(own.status).toBe(200);
    expect(own.body).toMatchObject({ id: replay.body.id, status: 'completed', dry_run: true, types: null });
  });

  it('refuses a replay matching more than 100,000 events, naming the limit', async () => {
    const target = await fx.endpoint({ events: ['bulk.*'] });
    await sleep(5);
    const createdAt = new Date();
    const rows = Array.from({ length: MAX_REPLAY_EVENTS + 1 }, () => ({
      id: newId('evt'),
      tenantId: target.tenant,
      type: 'bulk.created',
      payload: '{}',
      createdAt,
    }));
    for (let i = 0; i < rows.length; i += 2_000) {
      await server.dataSource.manager.insert(WebhookEvent, rows.slice(i, i + 2_000));
    }
    const since = new Date(createdAt.getTime() - 60_000).toISOString();
    const tooMany = await replayEndpoint(target.id, { since, dry_run: true });
    expect(tooMany.status).toBe(400);
    expect(tooMany.body.errors[0].message).toContain('more than the 100,000 allowed');
    const narrowed = await replayEndpoint(target.id, { since, dry_run: true, types: ['bulk.none'] });
    expect(narrowed.body).toMatchObject({ status: 'completed', matched: 0 });
  });

  it('a replay whose batches keep failing does not hold up another replay', async () => {
    const since = new Date(Date.now() - 1_000).toISOString();
    const broken = await fx.endpoint();
    const healthy = await fx.endpoint();
    await fx.setStatus(broken.id, 'disabled');
    await fx.setStatus(healthy.id, 'disabled');
    await fx.publish(broken.tenant);
    const healthyEvent = await fx.publish(healthy.tenant);
    await fx.setStatus(broken.id, 'enabled');
    await fx.setStatus(healthy.id, 'enabled');

    // A database failure in one replay's batches cannot be provoked for real without breaking every
    // other query, so that one replay's batch is made to throw.
    const runner = server.app.get(ReplayRunner) as unknown as {
      batch: (manager: unknown, id: string) => Promise<unknown>;
    };
    const realBatch = runner.batch;
    const allowed = new Set<string>();
    runner.batch = function (this: unknown, manager: unknown, id: string) {
      if (!allowed.has(id)) return Promise.reject(new Error('simulated database failure'));
      return realBatch.call(this, manager, id);
    };
    try {
      // The broken replay gets the lower id, so it is leased first in every round.
      const stuck = await replayEndpoint(broken.id, { since });
      const second = await replayEndpoint(healthy.id, { since });
      expect(second.status).toBe(202);
      allowed.add(second.body.id);
      expect(await waitForReplay(second.body.id)).toMatchObject({ status: 'completed', enqueued: 1 });
      await fx.waitForDeliveries(healthyEvent.id, 'succeeded');
      const still = await call(server, 'GET', `/replays/${stuck.body.id}`);
      expect(still.body).toMatchObject({ status: 'running', enqueued: 0 });
    } finally {
      runner.batch = realBatch;
    }
  });

  it('resumes a replay after a restart and completes it, each event delivered once', async () => {
    const first = await startServer({ database: db, env: ENV });
    let second: TestServer | undefined;
    try {
      first.app.get(ReplayRunner).tuning = {
        ...first.app.get(ReplayRunner).tuning,
        batchSize: 1,
        pauseMs: 250,
      };
      const local = new Fixture(first, receiver, `rs-${db}`);
      const target = await local.endpoint();
      const since = new Date(Date.now() - 1_000).toISOString();
      await local.setStatus(target.id, 'disabled');
      const missed = [];
      for (let i = 0; i < 6; i++) missed.push(await local.publish(target.tenant, 'invoice.paid', { i }));
      await local.setStatus(target.id, 'enabled');

      const started = await call(first, 'POST', `/webhook-endpoints/${target.id}/replay`, {
        body: { since },
      });
      expect(started.body).toMatchObject({ status: 'running', matched: 6 });
      const partial = await eventually(async () => {
        const progress = await call(first, 'GET', `/replays/${started.body.id}`);
        return progress.body.enqueued >= 1 ? progress.body : undefined;
      }, 'the first batch');
      // Stopped mid-replay: only the app, the database stays for the next process.
      await first.app.close();
      expect(partial).toMatchObject({ status: 'running' });
      expect(partial.enqueued).toBeLessThan(6);

      second = await startServer({
        env: {
          ...ENV,
          DATABASE_URL: first.config.databaseUrl,
          WEBHOOKS_ENCRYPTION_KEY: first.config.encryptionKey!.toString('base64'),
        },
      });
      const resumed = await eventually(async () => {
        const progress = await call(second!, 'GET', `/replays/${started.body.id}`);
        return progress.body.status === 'running' ? undefined : progress.body;
      }, 'the resumed replay');
      expect(resumed).toMatchObject({ status: 'completed', matched: 6, enqueued: 6 });
      await receiver.waitFor(() => receiver.received(target.path).length >= 6, 15_000, 'all six events');
      await sleep(300);
      const ids = receiver.received(target.path).map((request) => request.headers['webhook-id']);
      expect(ids.sort()).toEqual(missed.map((event) => event.id).sort());
    } finally {
      await second?.close();
      await first.close();
    }
  });
});

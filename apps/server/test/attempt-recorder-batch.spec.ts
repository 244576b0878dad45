import { EntityManager } from 'typeorm';
import { MysqlQueryRunner } from 'typeorm/driver/mysql/MysqlQueryRunner';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { Attempt } from '../src/deliveries/attempt.entity';
import { Delivery } from '../src/deliveries/delivery.entity';
import { newDelivery } from '../src/deliveries/new-delivery';
import { AttemptRecorder } from '../src/dispatch/attempt-recorder';
import { Endpoint } from '../src/endpoints/endpoint.entity';
import { SendResult } from '../src/net/http-sender';
import { call } from './support/http';
import { describeEachDatabase, startServer, type TestServer } from './support/server';

// Attempts that finish together are recorded in one transaction (group commit). These tests record
// several at once (they land in one batch) and check that the outcome is exactly what recording
// them one after another gives: every attempt row, lease ownership, the streak, disabling, circuit.

const LEASE = 'batch-test-lease';

function ok(status: number, at: Date, extra: Partial<SendResult> = {}): SendResult {
  return {
    startedAt: at,
    durationMs: 3,
    response: {
      status,
      headers: { 'x-answer': String(status) },
      body: `body ${status}`,
      bodyTruncated: false,
    },
    error: status >= 200 && status < 300 ? null : { code: 'http_status', message: `HTTP ${status}` },
    ...extra,
  };
}

describeEachDatabase('batched attempt recording', (db) => {
  let server: TestServer;
  let recorder: AttemptRecorder;
  let tenants = 0;

  beforeAll(async () => {
    server = await startServer({
      database: db,
      env: {
        WEBHOOKS_ROLE: 'api',
        WEBHOOKS_RETRY_SCHEDULE: '1m,1m,1m',
        WEBHOOKS_ALLOW_PRIVATE_TARGETS: 'true',
      },
    });
    recorder = server.app.get(AttemptRecorder);
  });
  afterAll(async () => {
    await server?.close();
  });

  async function endpointWith(deliveries: number, streak: Partial<Endpoint> = {}) {
    const tenant = `batch-${db}-${++tenants}`;
    const created = await call(server, 'POST', '/webhook-endpoints', {
      body: { url: 'http://127.0.0.1:9/hook', events: ['*'], tenant_id: tenant },
    });
    expect(created.status).toBe(201);
    const endpointId = created.body.id as string;
    if (Object.keys(streak).length > 0)
      await server.dataSource.getRepository(Endpoint).update({ id: endpointId }, streak);
    // Leased by "us", due an hour from now: nothing else touches them.
    const later = new Date(Date.now() + 3_600_000);
    const rows = Array.from({ length: deliveries }, (_, i) => ({
      ...newDelivery({ id: `evt_b${tenants}x${i}`, tenantId: tenant }, endpointId, 'event', later),
      leaseOwner: LEASE,
      leaseExpiresAt: later,
    }));
    await server.dataSource.getRepository(Delivery).insert(rows);
    return { endpointId, rows };
  }

  const recordAll = (rows: Delivery[], results: SendResult[], leases: string[] = []) =>
    Promise.all(
      rows.map((delivery, i) =>
        recorder.record({
          delivery,
          leaseToken: leases[i] ?? LEASE,
          request: {
            url: 'http://127.0.0.1:9/hook',
            headers: { 'webhook-id': delivery.eventId },
            body: '{}',
          },
          result: results[i]!,
          trigger: 'scheduled',
          retryOnFailure: true,
        }),
      ),
    );

  const reload = async (endpointId: string) => ({
    endpoint: await server.dataSource.getRepository(Endpoint).findOneByOrFail({ id: endpointId }),
    deliveries: await server.dataSource
      .getRepository(Delivery)
      .find({ where: { endpointId }, order: { id: 'ASC' } }),
    attempts: await server.dataSource.getRepository(Attempt).find({ where: { endpointId } }),
  });

  it('writes every attempt with its request and response, and the streak of the last one', async () => {
    const { endpointId, rows } = await endpointWith(5);
    const t = Date.now();
    const results = [200, 500, 200, 500, 502].map((status, i) => ok(status, new Date(t + i)));
    const recorded = await recordAll(rows, results);

    const { endpoint, deliveries, attempts } = await reload(endpointId);
    expect(attempts).toHaveLength(5);
    for (const attempt of attempts) {
      expect(attempt.attemptNumber).toBe(1);
      expect(attempt.requestHeaders['webhook-id']).toMatch(/^evt_b/);
      expect(attempt.responseHeaders?.['x-answer']).toBe(String(attempt.responseStatus));
      expect(attempt.responseBody).toBe(`body ${attempt.responseStatus}`);
    }
    expect(deliveries.map((d) => d.status)).toEqual([
      'succeeded',
      'retrying',
      'succeeded',
      'retrying',
      'retrying',
    ]);
    for (const d of deliveries) {
      expect(d.leaseOwner).toBeNull();
      expect(d.leaseExpiresAt).toBeNull();
      expect(d.attempts).toBe(1);
    }
    // Sequential order: S F S F F → two failures in a row, since the fourth attempt ended.
    expect(endpoint.consecutiveFailures).toBe(2);
    expect(endpoint.failingSince?.getTime()).toBe(results[3]!.startedAt.getTime() + 3);
    // What each caller is told is what was stored.
    for (const [i, r] of recorded.entries()) {
      const stored = deliveries.find((d) => d.id === r.delivery.id)!;
      expect(r.delivery.status).toBe(stored.status);
      expect(r.delivery.nextAttemptAt?.getTime() ?? null).toBe(stored.nextAttemptAt?.getTime() ?? null);
      expect(r.attempt.deliveryId).toBe(rows[i]!.id);
    }
  });

  it('attempts finishing in different turns of the event loop, within the gather window, share one transaction', async () => {
    const { endpointId, rows } = await endpointWith(2);
    // Every transaction, SQLite's and MySQL's pipelined ones, runs through EntityManager#transaction.
    const transactions = vi.spyOn(EntityManager.prototype, 'transaction');
    try {
      const first = recordAll(rows.slice(0, 1), [ok(200, new Date())]);
      // The next turn of the event loop: a write started at once would already hold the first alone.
      await new Promise((resolve) => setImmediate(resolve));
      const second = recordAll(rows.slice(1), [ok(200, new Date())]);
      await Promise.all([first, second]);
      expect(transactions).toHaveBeenCalledTimes(1);
    } finally {
      transactions.mockRestore();
    }
    const { deliveries, attempts } = await reload(endpointId);
    expect(attempts).toHaveLength(2);
    expect(deliveries.map((d) => d.status)).toEqual(['succeeded', 'succeeded']);
  });

  if (db === 'mysql') {
    it('on MySQL, the endpoints and then the deliveries are read in one packet, behind the endpoint locks when taken', async () => {
      const clean = await endpointWith(2);
      const failing = await endpointWith(2);
      const lone = await endpointWith(1);
      const sent = vi.spyOn(MysqlQueryRunner.prototype, 'query');
      const packets = () => sent.mock.calls.map(([sql]) => sql);
      // BEGIN, the endpoints, the deliveries: the first packet of the transaction.
      const reads =
        /^SET TRANSACTION[^;]*;\s*START TRANSACTION;\s*SELECT [^;]* FROM `endpoints` [^;]*;\s*SELECT [^;]* FROM `deliveries` [^;]*$/;
      const locked = /FROM `endpoints` [^;]* FOR UPDATE;/;
      try {
        // Successes on a clean endpoint take no lock: the reads, then the writes with the COMMIT.
        await recordAll(clean.rows, [ok(200, new Date()), ok(200, new Date())]);
        expect(packets()).toHaveLength(2);
        expect(packets()[0]).toMatch(reads);
        expect(packets()[0]).not.toMatch(locked);
        sent.mockClear();
        await recordAll(failing.rows, [ok(500, new Date()), ok(500, new Date())]);
        expect(packets()[0]).toMatch(reads);
        expect(packets()[0]).toMatch(locked);
        sent.mockClear();
        // A lone attempt is written on its own path: the same one packet of reads.
        await recordAll(lone.rows, [ok(500, new Date())]);
        expect(packets()[0]).toMatch(reads);
        expect(packets()[0]).toMatch(locked);
      } finally {
        sent.mockRestore();
      }
      expect((await reload(clean.endpointId)).deliveries.map((d) => d.status)).toEqual([
        'succeeded',
        'succeeded',
      ]);
      expect((await reload(failing.endpointId)).deliveries.map((d) => d.status)).toEqual([
        'retrying',
        'retrying',
      ]);
      expect((await reload(lone.endpointId)).endpoint.consecutiveFailures).toBe(1);
    });
  }

  it('a success on an endpoint with no streak leaves the endpoint row untouched', async () => {
    const { endpointId, rows } = await endpointWith(3);
    const before = await server.dataSource.getRepository(Endpoint).findOneByOrFail({ id: endpointId });
    await recordAll(
      rows,
      rows.map(() => ok(200, new Date())),
    );
    const { endpoint, deliveries } = await reload(endpointId);
    expect(deliveries.every((d) => d.status === 'succeeded')).toBe(true);
    expect(endpoint).toEqual(before);
  });

  it('keeps the lease check: a delivery no longer ours keeps its status and its owner’s lease', async () => {
    const { endpointId, rows } = await endpointWith(3);
    await server.dataSource
      .getRepository(Delivery)
      .update({ id: rows[1]!.id }, { status: 'dead', leaseOwner: 'someone-else' });
    await recordAll(
      rows,
      [ok(500, new Date()), ok(500, new Date()), ok(500, new Date())],
      [LEASE, LEASE, LEASE],
    );
    const { deliveries, attempts } = await reload(endpointId);
    expect(attempts).toHaveLength(3);
    expect(deliveries.map((d) => d.status)).toEqual(['retrying', 'dead', 'retrying']);
    expect(deliveries[1]!.leaseOwner).toBe('someone-else');
    expect(deliveries[0]!.leaseOwner).toBeNull();
  });

  it('410 in the middle of a batch disables the endpoint; what follows stays dead unless delivered', async () => {
    const { endpointId, rows } = await endpointWith(5);
    const t = Date.now();
    // 0: success, 1: 410 Gone, 2: failure, 3: success (delivered anyway), 4: not in the batch.
    const recorded = await recordAll(rows.slice(0, 4), [
      ok(200, new Date(t)),
      ok(410, new Date(t + 1)),
      ok(500, new Date(t + 2)),
      ok(200, new Date(t + 3)),
    ]);
    const { endpoint, deliveries, attempts } = await reload(endpointId);
    expect(attempts).toHaveLength(4);
    expect(endpoint.status).toBe('disabled');
    expect(endpoint.disabledReason).toBe('gone');
    expect(deliveries.map((d) => d.status)).toEqual(['succeeded', 'dead', 'dead', 'succeeded', 'dead']);
    expect(recorded[1]!.disabledEndpoint).toBe('gone');
    expect(recorded.filter((r) => r.disabledEndpoint !== null)).toHaveLength(1);
  });

  it('a lone failure that disables its endpoint (failing) tells its caller the delivery went dead', async () => {
    // A streak long and old enough that one more failure meets the disable rule (5 d, 10 failures).
    const { endpointId, rows } = await endpointWith(1, {
      consecutiveFailures: 20,
      failingSince: new Date(Date.now() - 6 * 86_400_000),
    });
    const [recorded] = await recordAll(rows, [ok(500, new Date())]);
    const { endpoint, deliveries } = await reload(endpointId);
    expect(endpoint.status).toBe('disabled');
    expect(endpoint.disabledReason).toBe('failing');
    expect(recorded!.disabledEndpoint).toBe('failing');
    expect(deliveries[0]).toMatchObject({ status: 'dead', nextAttemptAt: null, leaseOwner: null });
    // What the caller is told is what was stored: the failure would have retried, but disabling
    // killed the endpoint's open deliveries, this one included.
    expect(recorded!.outcome.status).toBe('retrying');
    expect(recorded!.delivery).toMatchObject({
      status: 'dead',
      nextAttemptAt: null,
      attempts: 1,
      leaseOwner: null,
      leaseExpiresAt: null,
    });
    expect(recorded!.delivery.updatedAt.getTime()).toBe(deliveries[0]!.updatedAt.getTime());
  });

  it('opening the circuit inside a batch holds the rest of the backlog behind the probe', async () => {
    const { endpointId, rows } = await endpointWith(4, { consecutiveFailures: 3, failingSince: new Date() });
    // Due sooner than any retry: the backlog a failed probe must hold back.
    const soon = new Date(Date.now() + 1_000);
    await server.dataSource.getRepository(Delivery).update({ id: rows[3]!.id }, { nextAttemptAt: soon });
    const t = Date.now();
    await recordAll(rows.slice(0, 3), [
      ok(500, new Date(t)),
      ok(500, new Date(t + 1)),
      ok(500, new Date(t + 2)),
    ]);
    const { endpoint, deliveries } = await reload(endpointId);
    expect(endpoint.consecutiveFailures).toBe(6);
    const held = deliveries[3]!;
    expect(held.nextAttemptAt!.getTime()).toBeGreaterThan(soon.getTime());
    expect(held.attempts).toBe(0);
  });
});

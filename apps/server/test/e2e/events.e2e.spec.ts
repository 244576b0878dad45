import { Logger } from '@nestjs/common';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { Clock } from '../../src/common/clock';
import { DeliveriesRepository } from '../../src/deliveries/deliveries.repository';
import { DeliverySignal } from '../../src/deliveries/delivery-signal';
import { call, errorFields } from '../support/http';
import { describeEachDatabase, startServer, type TestServer } from '../support/server';

describeEachDatabase('events and fan-out', (db) => {
  let server: TestServer;
  beforeAll(async () => {
    // API only: no dispatcher touching the deliveries these tests inspect.
    server = await startServer({ database: db, env: { WEBHOOKS_ROLE: 'api' } });
  });
  afterAll(() => server?.close());

  async function endpoint(
    tenant: string,
    events: string[],
    extra: Record<string, unknown> = {},
  ): Promise<string> {
    const response = await call(server, 'POST', '/webhook-endpoints', {
      body: { url: 'https://example.com/hook', events, tenant_id: tenant, ...extra },
    });
    expect(response.status).toBe(201);
    return response.body.id;
  }

  async function count(table: string, where = '1 = 1'): Promise<number> {
    const [row] = await server.dataSource.query(`SELECT COUNT(*) AS n FROM ${table} WHERE ${where}`);
    return Number(row.n);
  }

  it('accepts an event with 202 and the documented body, and stores the exact delivery payload', async () => {
    const data = { invoice: { id: 'in_1', lines: [1, 2.5, null, true] }, note: 'héllo ☃', empty: {} };
    const response = await call(server, 'POST', '/events', { body: { type: 'invoice.created', data } });
    expect(response.status).toBe(202);
    expect(Object.keys(response.body).sort()).toEqual(['created_at', 'data', 'id', 'tenant_id', 'type']);
    expect(response.body).toMatchObject({ type: 'invoice.created', tenant_id: 'default', data });
    expect(response.body.id).toMatch(/^evt_[0-9A-Z]{26}$/);
    const [row] = await server.dataSource.query(
      `SELECT payload FROM events WHERE id = '${response.body.id}'`,
    );
    expect(row.payload).toBe(
      JSON.stringify({
        id: response.body.id,
        type: 'invoice.created',
        created_at: response.body.created_at,
        data,
      }),
    );
    expect((await call(server, 'GET', `/events/${response.body.id}`)).body).toEqual(response.body);
  });

  it('keeps data exactly as sent, keys such as constructor and __proto__ included', async () => {
    const raw =
      '{"type":"odd.keys","data":{"constructor":"Bob","prototype":{"a":1},"__proto__":{"polluted":true},"list":[{"constructor":null}]}}';
    const response = await call(server, 'POST', '/events', { rawBody: raw });
    expect(response.status).toBe(202);
    const [row] = await server.dataSource.query(
      `SELECT payload FROM events WHERE id = '${response.body.id}'`,
    );
    expect(JSON.parse(row.payload).data).toEqual(JSON.parse(raw).data);
    expect(row.payload).toContain('"__proto__":{"polluted":true}');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('fans out in one go to matching, enabled, live endpoints of the same tenant only', async () => {
    const tenant = `fanout-${db}`;
    const exact = await endpoint(tenant, ['order.paid']);
    const prefix = await endpoint(tenant, ['order.*']);
    const all = await endpoint(tenant, ['*']);
    const otherType = await endpoint(tenant, ['order.refunded', 'orders.*']);
    const disabled = await endpoint(tenant, ['*']);
    await call(server, 'PATCH', `/webhook-endpoints/${disabled}`, { body: { status: 'disabled' } });
    const deleted = await endpoint(tenant, ['*']);
    await call(server, 'DELETE', `/webhook-endpoints/${deleted}`);
    const otherTenant = await endpoint(`${tenant}-other`, ['*']);

    const signal = server.app.get(DeliverySignal);
    const woken = vi.fn();
    const unsubscribe = signal.subscribe(woken);
    const published = await call(server, 'POST', '/events', {
      body: { type: 'order.paid', data: {}, tenant_id: tenant },
    });
    unsubscribe();
    expect(published.status).toBe(202);
    expect(woken).toHaveBeenCalledTimes(1);

    const deliveries = await call(server, 'GET', `/events/${published.body.id}/deliveries`);
    expect(deliveries.status).toBe(200);
    const targets = deliveries.body.data
      .map((delivery: { endpoint_id: string }) => delivery.endpoint_id)
      .sort();
    expect(targets).toEqual([exact, prefix, all].sort());
    expect(targets).not.toContain(otherType);
    expect(targets).not.toContain(disabled);
    expect(targets).not.toContain(deleted);
    expect(targets).not.toContain(otherTenant);
    for (const delivery of deliveries.body.data) {
      expect(delivery).toMatchObject({
        event_id: published.body.id,
        tenant_id: tenant,
        status: 'pending',
        attempts: 0,
        trigger: 'event',
        last_attempt_at: null,
        last_status_code: null,
        last_error: null,
      });
      expect(delivery.next_attempt_at).toBe(published.body.created_at);
      expect(Object.keys(delivery).sort()).toEqual(
        [
          'id',
          'event_id',
          'endpoint_id',
          'tenant_id',
          'status',
          'attempts',
          'next_attempt_at',
          'last_attempt_at',
          'last_status_code',
          'last_error',
          'trigger',
          'created_at',
          'updated_at',
        ].sort(),
      );
    }
    const one = deliveries.body.data[0];
    expect((await call(server, 'GET', `/deliveries/${one.id}`)).body).toEqual(one);
    const attempts = await call(server, 'GET', `/deliveries/${one.id}/attempts`);
    expect(attempts.body).toEqual({ data: [], next_cursor: null });

    const filtered = await call(
      server,
      'GET',
      `/deliveries?tenant_id=${tenant}&status=pending&endpoint_id=${prefix}`,
    );
    expect(filtered.body.data.map((delivery: { endpoint_id: string }) => delivery.endpoint_id)).toEqual([
      prefix,
    ]);
    const byEvent = await call(server, 'GET', `/deliveries?event_id=${published.body.id}`);
    expect(byEvent.body.data).toHaveLength(3);
  });

  it('publishing to a tenant without subscribers stores the event and no deliveries', async () => {
    const response = await call(server, 'POST', '/events', {
      body: { type: 'lonely.event', data: { a: 1 }, tenant_id: `empty-${db}` },
    });
    expect(response.status).toBe(202);
    expect(await count('deliveries', `event_id = '${response.body.id}'`)).toBe(0);
  });

  it('validates type, data and tenant_id, naming every bad field', async () => {
    const response = await call(server, 'POST', '/events', {
      body: { type: 'has space', data: [1, 2], tenant_id: 'bad tenant!', extra: true },
    });
    expect(response.status).toBe(400);
    expect(errorFields(response.body).sort()).toEqual(['data', 'extra', 'tenant_id', 'type']);
    expect(response.body.detail).toBe('Invalid extra, type, data, tenant_id.');
    expect(response.body.errors).toEqual([
      { field: 'extra', message: 'is not a known field' },
      { field: 'type', message: 'must be 1–200 letters, digits, _, - and dots' },
      { field: 'data', message: 'must be a JSON object' },
      { field: 'tenant_id', message: 'must be 1–100 letters, digits, _, -, . or :' },
    ]);
    const notString = await call(server, 'POST', '/events', {
      body: { type: 7, data: 'text', tenant_id: null },
    });
    expect(notString.body.errors.map((e: { field: string }) => e.field)).toEqual([
      'type',
      'data',
      'tenant_id',
    ]);
    const deep = await call(server, 'POST', '/events', {
      body: { type: 'deep', data: JSON.parse(`${'{"a":'.repeat(40)}1${'}'.repeat(40)}`) },
    });
    expect(deep.body.errors).toEqual([{ field: 'data', message: 'must not nest deeper than 32 levels' }]);
    const prototypeKey = await call(server, 'POST', '/events', {
      rawBody: '{"type":"x","data":{"constructor":1},"__proto__":{"polluted":true}}',
    });
    expect(prototypeKey.body.errors).toEqual([{ field: '__proto__', message: 'is not a known field' }]);
    const long = await call(server, 'POST', '/events', { body: { type: 'a'.repeat(201), data: {} } });
    expect(errorFields(long.body)).toEqual(['type']);
    const missing = await call(server, 'POST', '/events', { body: {} });
    expect(errorFields(missing.body).sort()).toEqual(['data', 'type']);
    const array = await call(server, 'POST', '/events', { rawBody: '[1,2]' });
    expect(array.status).toBe(400);
  });

  it('Idempotency-Key: same key and body returns the first event and creates nothing', async () => {
    const tenant = `idem-${db}`;
    await endpoint(tenant, ['*']);
    const body = { type: 'pay.done', data: { amount: 10, currency: 'EUR' }, tenant_id: tenant };
    const first = await call(server, 'POST', '/events', { body, headers: { 'Idempotency-Key': 'key-1' } });
    expect(first.status).toBe(202);
    const events = await count('events', `tenant_id = '${tenant}'`);
    const deliveries = await count('deliveries', `tenant_id = '${tenant}'`);
    const reordered = { tenant_id: tenant, data: { currency: 'EUR', amount: 10 }, type: 'pay.done' };
    const again = await call(server, 'POST', '/events', {
      body: reordered,
      headers: { 'Idempotency-Key': 'key-1' },
    });
    expect(again.status).toBe(202);
    expect(again.body).toEqual(first.body);
    expect(await count('events', `tenant_id = '${tenant}'`)).toBe(events);
    expect(await count('deliveries', `tenant_id = '${tenant}'`)).toBe(deliveries);

    const different = await call(server, 'POST', '/events', {
      body: { ...body, data: { amount: 11 } },
      headers: { 'Idempotency-Key': 'key-1' },
    });
    expect(different.status).toBe(409);
    expect(different.headers.get('content-type')).toMatch(/problem\+json/);
    expect(different.body.type).toMatch(/idempotency-key-reused$/);

    // Keys are per tenant: the same key elsewhere is a new event.
    const elsewhere = await call(server, 'POST', '/events', {
      body: { ...body, tenant_id: `${tenant}-2` },
      headers: { 'Idempotency-Key': 'key-1' },
    });
    expect(elsewhere.status).toBe(202);
    expect(elsewhere.body.id).not.toBe(first.body.id);

    const bad = await call(server, 'POST', '/events', {
      body,
      headers: { 'Idempotency-Key': 'x'.repeat(256) },
    });
    expect(bad.status).toBe(400);
    expect(errorFields(bad.body)).toEqual(['Idempotency-Key']);
  });

  it('Idempotency-Key: concurrent publishes with one key make exactly one event', async () => {
    const tenant = `race-${db}`;
    await endpoint(tenant, ['*']);
    const body = { type: 'race.run', data: { n: 1 }, tenant_id: tenant };
    const responses = await Promise.all(
      Array.from({ length: 8 }, () =>
        call(server, 'POST', '/events', { body, headers: { 'Idempotency-Key': 'same' } }),
      ),
    );
    expect(responses.map((response) => response.status)).toEqual(Array(8).fill(202));
    expect(new Set(responses.map((response) => response.body.id)).size).toBe(1);
    expect(await count('events', `tenant_id = '${tenant}'`)).toBe(1);
    expect(await count('deliveries', `tenant_id = '${tenant}'`)).toBe(1);
  });

  it('a failure mid-publish leaves nothing stored (500 with an error id, no internals)', async () => {
    const tenant = `boom-${db}`;
    await endpoint(tenant, ['*']);
    const repository = server.app.get(DeliveriesRepository);
    const spy = vi
      .spyOn(repository, 'insertMany')
      .mockRejectedValueOnce(new Error('disk on fire at /secret/path'));
    const logged = vi.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    const response = await call(server, 'POST', '/events', {
      body: { type: 'will.fail', data: {}, tenant_id: tenant },
      headers: { 'Idempotency-Key': 'boom' },
    });
    const logLines = logged.mock.calls.map(([line]) => String(line));
    spy.mockRestore();
    logged.mockRestore();
    expect(response.status).toBe(500);
    const errorId = /err_[0-9A-Z]{26}/.exec(response.body.detail)?.[0];
    expect(errorId).toBeDefined();
    // The id in the answer is the one in the log, next to the real cause.
    expect(logLines.some((line) => line.startsWith(`${errorId}: `) && line.includes('disk on fire'))).toBe(
      true,
    );
    expect(JSON.stringify(response.body)).not.toMatch(/disk on fire|secret\/path|at .*\.ts/);
    expect(await count('events', `tenant_id = '${tenant}'`)).toBe(0);
    expect(await count('idempotency_keys', `tenant_id = '${tenant}'`)).toBe(0);
    expect(await count('deliveries', `tenant_id = '${tenant}'`)).toBe(0);

    // The key was not burnt: a retry goes through.
    const retry = await call(server, 'POST', '/events', {
      body: { type: 'will.fail', data: {}, tenant_id: tenant },
      headers: { 'Idempotency-Key': 'boom' },
    });
    expect(retry.status).toBe(202);
    expect(await count('deliveries', `tenant_id = '${tenant}'`)).toBe(1);
  });

  it('a publish that fails before its batch is written fails alone: no hang, the queue keeps going', async () => {
    const clock = server.app.get(Clock);
    const realNow = clock.now.bind(clock);
    let thrown = false;
    // Fails once, and only while the group commit builds its batch (not in guards or elsewhere).
    const spy = vi.spyOn(clock, 'now').mockImplementation(() => {
      if (!thrown && new Error().stack?.includes('flushPublishes')) {
        thrown = true;
        throw new Error('clock unavailable');
      }
      return realNow();
    });
    const logged = vi.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    const [failed, ok] = await Promise.all([
      call(server, 'POST', '/events', { body: { type: 'queue.first', data: {} } }),
      call(server, 'POST', '/events', { body: { type: 'queue.second', data: {} } }),
    ]);
    spy.mockRestore();
    logged.mockRestore();
    expect(thrown).toBe(true);
    expect([failed.status, ok.status].sort()).toEqual([202, 500]);
    const after = await call(server, 'POST', '/events', { body: { type: 'queue.third', data: {} } });
    expect(after.status).toBe(202);
  });

  it('Idempotency-Key: a key whose event was already purged publishes afresh instead of failing', async () => {
    const tenant = `purged-${db}`;
    const body = { type: 'order.paid', data: { n: 1 }, tenant_id: tenant };
    const first = await call(server, 'POST', '/events', { body, headers: { 'Idempotency-Key': 'k-1' } });
    expect(first.status).toBe(202);
    // Retention shorter than the key's 24 h removed the event but not yet the key.
    await server.dataSource.query('DELETE FROM events WHERE id = ?', [first.body.id]);
    const again = await call(server, 'POST', '/events', { body, headers: { 'Idempotency-Key': 'k-1' } });
    expect(again.status).toBe(202);
    expect(again.body.id).not.toBe(first.body.id);
    const repeat = await call(server, 'POST', '/events', { body, headers: { 'Idempotency-Key': 'k-1' } });
    expect(repeat.body.id).toBe(again.body.id);
  });

  it('lists events newest first with type, tenant and time filters', async () => {
    const tenant = `list-${db}`;
    const ids: string[] = [];
    for (const type of ['a.one', 'b.two', 'a.one']) {
      const response = await call(server, 'POST', '/events', { body: { type, data: {}, tenant_id: tenant } });
      ids.push(response.body.id);
    }
    const all = await call(server, 'GET', `/events?tenant_id=${tenant}`);
    expect(all.body.data.map((event: { id: string }) => event.id)).toEqual([...ids].reverse());
    const ones = await call(server, 'GET', `/events?tenant_id=${tenant}&type=a.one`);
    expect(ones.body.data.map((event: { id: string }) => event.id)).toEqual([ids[2], ids[0]]);
    const first = await call(server, 'GET', `/events/${ids[0]}`);
    const since = encodeURIComponent(first.body.created_at);
    const windowed = await call(server, 'GET', `/events?tenant_id=${tenant}&since=${since}&until=${since}`);
    expect(windowed.body.data.map((event: { id: string }) => event.id)).toContain(ids[0]);
    const future = await call(server, 'GET', `/events?tenant_id=${tenant}&since=2999-01-01T00:00:00Z`);
    expect(future.body.data).toEqual([]);
    const bad = await call(server, 'GET', '/events?since=yesterday&until=2020-13-45');
    expect(errorFields(bad.body).sort()).toEqual(['since', 'until']);
    const badStatus = await call(server, 'GET', '/deliveries?status=lost');
    expect(errorFields(badStatus.body)).toEqual(['status']);
    expect((await call(server, 'GET', '/events/evt_01JH2Y4S8M1V8X9Q2W3E4R5T6Y')).status).toBe(404);
    expect((await call(server, 'GET', '/events/evt_01JH2Y4S8M1V8X9Q2W3E4R5T6Y/deliveries')).status).toBe(404);
    expect((await call(server, 'GET', '/deliveries/dlv_01JH2Y4S8M1V8X9Q2W3E4R5T6Y')).status).toBe(404);
    expect((await call(server, 'GET', '/deliveries/dlv_01JH2Y4S8M1V8X9Q2W3E4R5T6Y/attempts')).status).toBe(
      404,
    );
  });

  it('attempts come back in attempt order with the documented shape', async () => {
    const tenant = `attempts-${db}`;
    const endpointId = await endpoint(tenant, ['*']);
    const published = await call(server, 'POST', '/events', {
      body: { type: 'x.y', data: {}, tenant_id: tenant },
    });
    const [delivery] = (await call(server, 'GET', `/events/${published.body.id}/deliveries`)).body.data;
    // Attempts are written by the dispatcher; insert two directly, out of order.
    const rows = [
      { id: 'att_01JH2Y4S8M1V8X9Q2W3E4R5T6Z', n: 2, status: 200, error: null },
      { id: 'att_01JH2Y4S8M1V8X9Q2W3E4R5T6Y', n: 1, status: null, error: 'timeout' },
    ];
    for (const row of rows) {
      await server.dataSource
        .createQueryBuilder()
        .insert()
        .into('attempts')
        .values({
          id: row.id,
          deliveryId: delivery.id,
          endpointId,
          tenantId: tenant,
          attemptNumber: row.n,
          trigger: 'scheduled',
          startedAt: new Date(Date.UTC(2026, 0, 1, 0, 0, row.n)),
          durationMs: 12,
          requestUrl: 'https://example.com/hook',
          requestHeaders: { 'content-type': 'application/json' },
          responseStatus: row.status,
          responseHeaders: row.status ? { 'content-type': 'text/plain' } : null,
          responseBody: row.status ? 'ok' : null,
          responseBodyTruncated: false,
          errorCode: row.error,
          errorMessage: row.error ? 'no answer within 15s' : null,
        })
        .execute();
    }
    const attempts = await call(server, 'GET', `/deliveries/${delivery.id}/attempts`);
    expect(attempts.body.data).toEqual([
      {
        id: 'att_01JH2Y4S8M1V8X9Q2W3E4R5T6Y',
        delivery_id: delivery.id,
        attempt_number: 1,
        trigger: 'scheduled',
        started_at: '2026-01-01T00:00:01.000Z',
        duration_ms: 12,
        request: { url: 'https://example.com/hook', headers: { 'content-type': 'application/json' } },
        response: null,
        error: { code: 'timeout', message: 'no answer within 15s' },
      },
      {
        id: 'att_01JH2Y4S8M1V8X9Q2W3E4R5T6Z',
        delivery_id: delivery.id,
        attempt_number: 2,
        trigger: 'scheduled',
        started_at: '2026-01-01T00:00:02.000Z',
        duration_ms: 12,
        request: { url: 'https://example.com/hook', headers: { 'content-type': 'application/json' } },
        response: {
          status: 200,
          headers: { 'content-type': 'text/plain' },
          body: 'ok',
          body_truncated: false,
        },
        error: null,
      },
    ]);
    expect(attempts.body.next_cursor).toBeNull();
  });
});

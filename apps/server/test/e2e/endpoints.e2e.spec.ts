import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { Endpoint } from '../../src/endpoints/endpoint.entity';
import { EndpointSecrets } from '../../src/endpoints/endpoint-secrets';
import { call, errorFields } from '../support/http';
import { describeEachDatabase, startServer, type TestServer } from '../support/server';

describeEachDatabase('webhook endpoints', (db) => {
  let server: TestServer;
  beforeAll(async () => {
    // API only: no dispatcher touching the deliveries these tests inspect.
    server = await startServer({ database: db, env: { WEBHOOKS_ROLE: 'api' } });
  });
  afterAll(() => server?.close());

  it('registers the CONTRACT example endpoint with exactly the documented shape and a whsec_ secret', async () => {
    const response = await call(server, 'POST', '/webhook-endpoints', {
      body: { url: 'https://example.com/webhooks', events: ['invoice.paid', 'customer.*'] },
    });
    expect(response.status).toBe(201);
    expect(Object.keys(response.body).sort()).toEqual(
      [
        'id',
        'url',
        'events',
        'description',
        'tenant_id',
        'status',
        'disabled_reason',
        'headers',
        'metadata',
        'max_concurrency',
        'rate_limit_per_second',
        'created_at',
        'updated_at',
        'secret',
      ].sort(),
    );
    expect(response.body).toMatchObject({
      url: 'https://example.com/webhooks',
      events: ['invoice.paid', 'customer.*'],
      description: null,
      tenant_id: 'default',
      status: 'enabled',
      disabled_reason: null,
      headers: {},
      metadata: {},
      max_concurrency: 10,
      rate_limit_per_second: null,
    });
    expect(response.body.id).toMatch(/^wh_[0-9A-Z]{26}$/);
    expect(response.body.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(Buffer.from(response.body.secret.slice(6), 'base64')).toHaveLength(32);
    expect(new Date(response.body.created_at).toISOString()).toBe(response.body.created_at);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
  });

  it('stores every optional field and never shows the secret in reads', async () => {
    const created = await call(server, 'POST', '/webhook-endpoints', {
      body: {
        url: 'https://example.com/all',
        events: ['*'],
        description: 'all the things',
        tenant_id: 'acme',
        headers: { Authorization: 'Bearer abc', 'X-Team': 'billing' },
        metadata: { owner: 'ops' },
        max_concurrency: 3,
        rate_limit_per_second: 50,
      },
    });
    expect(created.status).toBe(201);
    const read = await call(server, 'GET', `/webhook-endpoints/${created.body.id}`);
    expect(read.status).toBe(200);
    const { secret, ...withoutSecret } = created.body;
    expect(read.body).toEqual(withoutSecret);
    expect(read.body).not.toHaveProperty('secret');

    const list = await call(server, 'GET', '/webhook-endpoints?tenant_id=acme');
    expect(list.body.data.map((endpoint: { id: string }) => endpoint.id)).toEqual([created.body.id]);
    expect(list.body.data[0]).not.toHaveProperty('secret');

    const fetched = await call(server, 'GET', `/webhook-endpoints/${created.body.id}/secret`);
    expect(fetched.body).toEqual({ secret });
    expect(fetched.headers.get('cache-control')).toBe('no-store');
  });

  it('names every bad field in one 400, snake_case paths included', async () => {
    const response = await call(server, 'POST', '/webhook-endpoints', {
      body: {
        url: 42,
        events: ['invoice.paid', 'bad*pattern', 7],
        headers: { 'Content-Type': 'text/plain' },
        max_concurrency: 0,
        rate_limit_per_second: 'fast',
        color: 'blue',
      },
    });
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(response.body).toMatchObject({ type: expect.any(String), title: expect.any(String), status: 400 });
    expect(errorFields(response.body).sort()).toEqual(
      [
        'color',
        'events[1]',
        'events[2]',
        'headers',
        'max_concurrency',
        'rate_limit_per_second',
        'url',
      ].sort(),
    );
    const total = await call(server, 'GET', '/webhook-endpoints?limit=250');
    expect(total.body.data.every((endpoint: { url: unknown }) => endpoint.url !== 42)).toBe(true);
  });

  it.each([
    ['X-Webhook-Signature'],
    ['webhook-id'],
    ['WEBHOOK-TIMESTAMP'],
    ['webhook-signature'],
    ['x-webhook-event'],
    ['user-agent'],
    ['Host'],
    ['content-length'],
  ])('refuses the reserved header %s', async (name) => {
    const response = await call(server, 'POST', '/webhook-endpoints', {
      body: { url: 'https://example.com/h', events: ['*'], headers: { [name]: 'x' } },
    });
    expect(response.status).toBe(400);
    expect(errorFields(response.body)).toEqual(['headers']);
  });

  // A value of the wrong type, or none, is told so: not a size limit it did not get to.
  it.each([
    [{ events: ['x.y'] }, 'url', 'is required'],
    [{ url: 123, events: ['x.y'] }, 'url', 'must be a string'],
    [{ url: 'https://example.com/h' }, 'events', 'is required'],
    [
      { url: 'https://example.com/h', events: 'x.y' },
      'events',
      'must be an array of event types or patterns',
    ],
    [{ url: 'https://example.com/h', events: ['x.y'], description: 5 }, 'description', 'must be a string'],
    [
      { url: 'https://example.com/h', events: ['x.y'], max_concurrency: 'ten' },
      'max_concurrency',
      'must be an integer from 1 to 100',
    ],
  ])('names the missing or mistyped field with its type: %j', async (body, field, message) => {
    const response = await call(server, 'POST', '/webhook-endpoints', { body });
    expect(response.status).toBe(400);
    expect(response.body.errors).toEqual([{ field, message }]);
  });

  it('refuses header values with line breaks, and empty or malformed event lists', async () => {
    const crlf = await call(server, 'POST', '/webhook-endpoints', {
      body: { url: 'https://example.com/h', events: ['*'], headers: { 'X-A': 'a\r\nX-B: b' } },
    });
    expect(errorFields(crlf.body)).toEqual(['headers']);
    const empty = await call(server, 'POST', '/webhook-endpoints', {
      body: { url: 'https://example.com/h', events: [] },
    });
    expect(errorFields(empty.body)).toEqual(['events']);
    const missing = await call(server, 'POST', '/webhook-endpoints', { body: {} });
    expect(errorFields(missing.body).sort()).toEqual(['events', 'url']);
    const patterns = await call(server, 'POST', '/webhook-endpoints', {
      body: {
        url: 'https://example.com/h',
        events: ['invoice.*.paid', '**', 'a..b', '.x', 'ok.type', 'pre.*'],
      },
    });
    expect(errorFields(patterns.body)).toEqual(['events[0]', 'events[1]', 'events[2]', 'events[3]']);
  });

  it('refuses a URL the policy rejects, naming url', async () => {
    for (const url of ['ftp://example.com/x', 'not a url', 'https://user:pass@example.com/']) {
      const response = await call(server, 'POST', '/webhook-endpoints', { body: { url, events: ['*'] } });
      expect(response.status, url).toBe(400);
      expect(errorFields(response.body)).toEqual(['url']);
    }
  });

  it('PATCHes fields, disables and re-enables, and 404s unknown ids', async () => {
    const created = await call(server, 'POST', '/webhook-endpoints', {
      body: { url: 'https://example.com/p', events: ['a.b'], description: 'x', rate_limit_per_second: 5 },
    });
    const id = created.body.id;
    const patched = await call(server, 'PATCH', `/webhook-endpoints/${id}`, {
      body: { url: 'https://example.com/q', events: ['a.*'], description: null, rate_limit_per_second: null },
    });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({
      url: 'https://example.com/q',
      events: ['a.*'],
      description: null,
      rate_limit_per_second: null,
    });
    const disabled = await call(server, 'PATCH', `/webhook-endpoints/${id}`, {
      body: { status: 'disabled' },
    });
    expect(disabled.body).toMatchObject({ status: 'disabled', disabled_reason: 'manual' });
    const enabled = await call(server, 'PATCH', `/webhook-endpoints/${id}`, { body: { status: 'enabled' } });
    expect(enabled.body).toMatchObject({ status: 'enabled', disabled_reason: null });
    expect((await call(server, 'GET', `/webhook-endpoints/${id}`)).body).toEqual(enabled.body);

    const bad = await call(server, 'PATCH', `/webhook-endpoints/${id}`, {
      body: { status: 'paused', headers: null, url: null, tenant_id: 'someone-else' },
    });
    expect(bad.status).toBe(400);
    expect(errorFields(bad.body).sort()).toEqual(['headers', 'status', 'url']);

    const moved = await call(server, 'PATCH', `/webhook-endpoints/${id}`, { body: { tenant_id: 'other' } });
    expect(moved.status).toBe(400);
    expect(errorFields(moved.body)).toEqual(['tenant_id']);

    for (const [method, path] of [
      ['GET', '/webhook-endpoints/wh_01JH2Y4S8M1V8X9Q2W3E4R5T6Y'],
      ['PATCH', '/webhook-endpoints/wh_01JH2Y4S8M1V8X9Q2W3E4R5T6Y'],
      ['DELETE', '/webhook-endpoints/nope'],
      ['GET', '/webhook-endpoints/nope/secret'],
      ['POST', '/webhook-endpoints/evt_01JH2Y4S8M1V8X9Q2W3E4R5T6Y/rotate-secret'],
    ] as const) {
      const response = await call(server, method, path, method === 'PATCH' ? { body: {} } : {});
      expect(response.status, `${method} ${path}`).toBe(404);
      expect(response.headers.get('content-type')).toMatch(/problem\+json/);
    }
  });

  it('a PATCH that changes nothing leaves updated_at alone; a change moves it', async () => {
    const created = await call(server, 'POST', '/webhook-endpoints', {
      body: { url: 'https://example.com/same', events: ['a.b'], headers: { 'X-A': '1' } },
    });
    const id = created.body.id;
    await new Promise((resolve) => setTimeout(resolve, 20));
    for (const body of [
      {},
      { url: 'https://example.com/same', events: ['a.b'], headers: { 'X-A': '1' }, status: 'enabled' },
    ]) {
      const same = await call(server, 'PATCH', `/webhook-endpoints/${id}`, { body });
      expect(same.status).toBe(200);
      expect(same.body.updated_at).toBe(created.body.updated_at);
    }
    expect((await call(server, 'GET', `/webhook-endpoints/${id}`)).body.updated_at).toBe(
      created.body.updated_at,
    );
    const changed = await call(server, 'PATCH', `/webhook-endpoints/${id}`, { body: { description: 'now' } });
    expect(changed.body.updated_at > created.body.updated_at).toBe(true);
  });

  it('DELETE answers 204, hides the endpoint, cancels its open deliveries and keeps its history', async () => {
    const created = await call(server, 'POST', '/webhook-endpoints', {
      body: { url: 'https://example.com/d', events: ['delete.me'], tenant_id: 'deleting' },
    });
    const published = await call(server, 'POST', '/events', {
      body: { type: 'delete.me', data: {}, tenant_id: 'deleting' },
    });
    expect(published.status).toBe(202);
    const removed = await call(server, 'DELETE', `/webhook-endpoints/${created.body.id}`);
    expect(removed.status).toBe(204);
    expect(removed.body).toBe('');
    expect((await call(server, 'GET', `/webhook-endpoints/${created.body.id}`)).status).toBe(404);
    expect((await call(server, 'DELETE', `/webhook-endpoints/${created.body.id}`)).status).toBe(404);
    // The routes that change an endpoint under its row lock refuse a deleted one too.
    const patchDeleted = await call(server, 'PATCH', `/webhook-endpoints/${created.body.id}`, {
      body: { status: 'enabled' },
    });
    expect(patchDeleted.status).toBe(404);
    const rotateDeleted = await call(server, 'POST', `/webhook-endpoints/${created.body.id}/rotate-secret`);
    expect(rotateDeleted.status).toBe(404);
    const list = await call(server, 'GET', '/webhook-endpoints?tenant_id=deleting');
    expect(list.body.data).toEqual([]);
    const deliveries = await call(server, 'GET', `/deliveries?endpoint_id=${created.body.id}`);
    expect(deliveries.body.data.map((delivery: { status: string }) => delivery.status)).toEqual([
      'cancelled',
    ]);
    const [row] = await server.dataSource.query(
      `SELECT deleted_at FROM endpoints WHERE id = '${created.body.id}'`,
    );
    expect(row.deleted_at).not.toBeNull();
  });

  it('rotates the secret: new secret returned, previous one kept for the grace period', async () => {
    const created = await call(server, 'POST', '/webhook-endpoints', {
      body: { url: 'https://example.com/r', events: ['*'] },
    });
    const rotated = await call(server, 'POST', `/webhook-endpoints/${created.body.id}/rotate-secret`, {
      body: { grace_period_seconds: 3600 },
    });
    expect(rotated.status).toBe(200);
    expect(rotated.body.secret).toMatch(/^whsec_/);
    expect(rotated.body.secret).not.toBe(created.body.secret);
    expect(rotated.headers.get('cache-control')).toBe('no-store');
    expect((await call(server, 'GET', `/webhook-endpoints/${created.body.id}/secret`)).body.secret).toBe(
      rotated.body.secret,
    );
    const [row] = await server.dataSource.query(
      `SELECT previous_secret_ciphertext, previous_secret_expires_at FROM endpoints WHERE id = '${created.body.id}'`,
    );
    expect(row.previous_secret_ciphertext).not.toBeNull();
    const expires = new Date(
      row.previous_secret_expires_at instanceof Date
        ? row.previous_secret_expires_at
        : `${String(row.previous_secret_expires_at).replace(' ', 'T')}Z`,
    );
    expect(Math.abs(expires.getTime() - (Date.now() + 3600_000))).toBeLessThan(60_000);

    const noBody = await call(server, 'POST', `/webhook-endpoints/${created.body.id}/rotate-secret`);
    expect(noBody.status).toBe(200);
    const immediate = await call(server, 'POST', `/webhook-endpoints/${created.body.id}/rotate-secret`, {
      body: { grace_period_seconds: 0 },
    });
    expect(immediate.status).toBe(200);
    for (const grace of [-1, 604_801, 1.5, '60']) {
      const bad = await call(server, 'POST', `/webhook-endpoints/${created.body.id}/rotate-secret`, {
        body: { grace_period_seconds: grace },
      });
      expect(bad.status, String(grace)).toBe(400);
      expect(errorFields(bad.body)).toEqual(['grace_period_seconds']);
    }
  });

  it('two rotations at once chain: both returned secrets sign, none is lost', async () => {
    const created = await call(server, 'POST', '/webhook-endpoints', {
      body: { url: 'https://example.com/race', events: ['*'] },
    });
    const rotate = () =>
      call(server, 'POST', `/webhook-endpoints/${created.body.id}/rotate-secret`, {
        body: { grace_period_seconds: 3600 },
      });
    const [one, two] = await Promise.all([rotate(), rotate()]);
    expect([one.status, two.status]).toEqual([200, 200]);
    const endpoint = await server.dataSource.getRepository(Endpoint).findOneByOrFail({ id: created.body.id });
    const active = server.app.get(EndpointSecrets).activeSecrets(endpoint, new Date());
    expect([...active].sort()).toEqual([one.body.secret, two.body.secret].sort());
  });

  it('stores secrets encrypted: no whsec_ anywhere in the endpoints table', async () => {
    await call(server, 'POST', '/webhook-endpoints', {
      body: { url: 'https://example.com/enc', events: ['*'] },
    });
    const rows: Array<Record<string, unknown>> = await server.dataSource.query('SELECT * FROM endpoints');
    expect(rows.length).toBeGreaterThan(0);
    expect(JSON.stringify(rows)).not.toContain('whsec_');
  });

  it('pages newest first with an opaque cursor and validates limit and cursor', async () => {
    const tenant = `paging-${db}`;
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const created = await call(server, 'POST', '/webhook-endpoints', {
        body: { url: `https://example.com/${i}`, events: ['*'], tenant_id: tenant },
      });
      ids.push(created.body.id);
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const query: string = `/webhook-endpoints?tenant_id=${tenant}&limit=2${cursor ? `&cursor=${cursor}` : ''}`;
      const page = await call(server, 'GET', query);
      expect(page.status).toBe(200);
      expect(page.body.data.length).toBeLessThanOrEqual(2);
      seen.push(...page.body.data.map((endpoint: { id: string }) => endpoint.id));
      cursor = page.body.next_cursor;
      if (cursor) expect(cursor).not.toMatch(/^wh_/);
    } while (cursor);
    expect(seen).toEqual([...ids].reverse());
    const leadingZero = await call(server, 'GET', `/webhook-endpoints?tenant_id=${tenant}&limit=002`);
    expect(leadingZero.body.data).toHaveLength(2);

    for (const query of [
      'limit=0',
      'limit=251',
      'limit=abc',
      'limit=1e2',
      'limit=0x10',
      'limit=+5',
      'limit=5.0',
      'limit=%205',
      'cursor=%%%',
      'cursor=Zm9v',
      'surprise=1',
    ]) {
      const response = await call(server, 'GET', `/webhook-endpoints?${query}`);
      expect(response.status, query).toBe(400);
      expect(errorFields(response.body)).toEqual([query.split('=')[0]]);
    }
  });
});

describe('endpoint URL policy in production', () => {
  it('refuses http:// and private addresses when NODE_ENV=production', async () => {
    const server = await startServer({ env: { NODE_ENV: 'production', WEBHOOKS_ROLE: 'api' } });
    try {
      for (const url of ['http://example.com/hook', 'https://127.0.0.1/hook', 'https://10.1.2.3/hook']) {
        const response = await call(server, 'POST', '/webhook-endpoints', { body: { url, events: ['*'] } });
        expect(response.status, url).toBe(400);
        expect(errorFields(response.body)).toEqual(['url']);
      }
    } finally {
      await server.close();
    }
  });
});

/**
 * MySQL only (SQLite serializes write transactions, so nothing can interleave): an automatic
 * disable that commits while a manual PATCH is on its way keeps its reason.
 */
describe.skipIf(inject('mysqlProblem') !== null)(
  'endpoint disable racing an automatic disable [mysql]',
  () => {
    let server: TestServer;
    beforeAll(async () => {
      server = await startServer({ database: 'mysql', env: { WEBHOOKS_ROLE: 'api' } });
    });
    afterAll(() => server?.close());

    it('a PATCH to disabled keeps the reason of a `failing` disable committed meanwhile', async () => {
      const created = await call(server, 'POST', '/webhook-endpoints', {
        body: { url: 'https://example.com/racing', events: ['*'] },
      });
      expect(created.status).toBe(201);
      const id = created.body.id as string;
      const failingAt = new Date(Date.now() - 1_000);

      // The recorder's automatic disable, written (row locked) but not committed yet.
      const recorder = server.dataSource.createQueryRunner();
      await recorder.connect();
      let patching: ReturnType<typeof call> | undefined;
      try {
        await recorder.startTransaction();
        await recorder.manager.update(
          Endpoint,
          { id },
          { status: 'disabled', disabledReason: 'failing', disabledAt: failingAt },
        );
        patching = call(server, 'PATCH', `/webhook-endpoints/${id}`, { body: { status: 'disabled' } });
        patching.catch(() => undefined); // awaited below
        // Let the PATCH read the endpoint and reach its write (it then waits for the row lock).
        await new Promise((resolve) => setTimeout(resolve, 300));
        await recorder.commitTransaction();
      } finally {
        if (recorder.isTransactionActive) await recorder.rollbackTransaction();
        await recorder.release();
      }
      const patched = await patching;
      expect(patched.status).toBe(200);
      expect(patched.body).toMatchObject({ status: 'disabled', disabled_reason: 'failing' });
      const stored = await server.dataSource.manager.findOneByOrFail(Endpoint, { id });
      expect(stored.disabledReason).toBe('failing');
      expect(stored.disabledAt?.getTime()).toBe(failingAt.getTime());
    });
  },
);

import { afterAll, beforeAll, expect, it } from 'vitest';
import { call, errorFields } from '../support/http';
import { describeEachDatabase, startServer, type TestServer } from '../support/server';

describeEachDatabase('API keys and tenant isolation', (db) => {
  let server: TestServer;
  let alphaKey: string;
  let betaKey: string;
  let alphaKeyId: string;
  beforeAll(async () => {
    // API only: no dispatcher touching the deliveries these tests inspect.
    server = await startServer({ database: db, env: { WEBHOOKS_ROLE: 'api' } });
    const alpha = await call(server, 'POST', '/api-keys', {
      body: { tenant_id: 'alpha', name: 'alpha service' },
    });
    const beta = await call(server, 'POST', '/api-keys', {
      body: { tenant_id: 'beta', name: 'beta service' },
    });
    alphaKey = alpha.body.key;
    alphaKeyId = alpha.body.id;
    betaKey = beta.body.key;
  });
  afterAll(() => server?.close());

  it('issues a key once (201 {id,key}), stores only its hash, and lists keys without it', async () => {
    const created = await call(server, 'POST', '/api-keys', { body: { tenant_id: 'gamma', name: 'one' } });
    expect(created.status).toBe(201);
    expect(Object.keys(created.body).sort()).toEqual(['id', 'key']);
    expect(created.body.id).toMatch(/^key_[0-9A-Z]{26}$/);
    const rows: Array<Record<string, unknown>> = await server.dataSource.query('SELECT * FROM api_keys');
    expect(JSON.stringify(rows)).not.toContain(created.body.key);
    const list = await call(server, 'GET', '/api-keys?tenant_id=gamma');
    expect(list.status).toBe(200);
    expect(list.body.data).toEqual([
      {
        id: created.body.id,
        tenant_id: 'gamma',
        name: 'one',
        last_used_at: null,
        created_at: expect.any(String),
      },
    ]);
    expect(JSON.stringify(list.body)).not.toContain(created.body.key);
  });

  it('401 without a key, with a bad key, or with a malformed header', async () => {
    const attempts: Array<Record<string, string>> = [
      {},
      { authorization: 'Bearer nope-not-a-key' },
      { authorization: 'Basic abc' },
    ];
    for (const headers of attempts) {
      const response = await call(server, 'GET', '/webhook-endpoints', { key: null, headers });
      expect(response.status).toBe(401);
      expect(response.headers.get('content-type')).toMatch(/application\/problem\+json/);
      expect(response.body).toMatchObject({ status: 401, title: expect.any(String), errors: [] });
    }
    expect((await call(server, 'POST', '/events', { key: null, body: { type: 'a', data: {} } })).status).toBe(
      401,
    );
  });

  it('health, readiness and the API reference need no key', async () => {
    expect(await call(server, 'GET', '/healthz', { key: null })).toMatchObject({
      status: 200,
      body: { status: 'ok' },
    });
    expect(await call(server, 'GET', '/readyz', { key: null })).toMatchObject({ status: 200 });
    const openapi = await call(server, 'GET', '/openapi.json', { key: null });
    expect(openapi.status).toBe(200);
    expect(openapi.body.paths).toHaveProperty('/webhook-endpoints');
    expect(openapi.body.paths).toHaveProperty('/events');
    const docs = await fetch(`${server.url}/docs`);
    expect(docs.status).toBe(200);
    expect(await docs.text()).toMatch(/swagger/i);
  });

  it('a tenant key on API-key routes is a 403', async () => {
    expect((await call(server, 'GET', '/api-keys', { key: alphaKey })).status).toBe(403);
    expect(
      (await call(server, 'POST', '/api-keys', { key: alphaKey, body: { tenant_id: 'alpha', name: 'x' } }))
        .status,
    ).toBe(403);
    expect((await call(server, 'DELETE', `/api-keys/${alphaKeyId}`, { key: alphaKey })).status).toBe(403);
  });

  it('validates API-key input', async () => {
    const response = await call(server, 'POST', '/api-keys', {
      body: { tenant_id: 'has space', name: '', admin: true },
    });
    expect(response.status).toBe(400);
    expect(errorFields(response.body).sort()).toEqual(['admin', 'name', 'tenant_id']);
    expect((await call(server, 'DELETE', '/api-keys/key_01JH2Y4S8M1V8X9Q2W3E4R5T6Y')).status).toBe(404);
  });

  it('a tenant key works only inside its tenant, on every route', async () => {
    const mine = await call(server, 'POST', '/webhook-endpoints', {
      key: alphaKey,
      body: { url: 'https://example.com/a', events: ['*'] },
    });
    expect(mine.status).toBe(201);
    expect(mine.body.tenant_id).toBe('alpha');
    const theirs = await call(server, 'POST', '/webhook-endpoints', {
      key: betaKey,
      body: { url: 'https://example.com/b', events: ['*'] },
    });
    expect(theirs.body.tenant_id).toBe('beta');

    // Naming another tenant in a body or query: 403.
    const foreignBody = await call(server, 'POST', '/webhook-endpoints', {
      key: alphaKey,
      body: { url: 'https://example.com/a', events: ['*'], tenant_id: 'beta' },
    });
    expect(foreignBody.status).toBe(403);
    expect(errorFields(foreignBody.body)).toEqual(['tenant_id']);
    expect(
      (
        await call(server, 'POST', '/events', {
          key: alphaKey,
          body: { type: 't', data: {}, tenant_id: 'beta' },
        })
      ).status,
    ).toBe(403);
    for (const path of ['/webhook-endpoints', '/events', '/deliveries']) {
      expect((await call(server, 'GET', `${path}?tenant_id=beta`, { key: alphaKey })).status, path).toBe(403);
      expect((await call(server, 'GET', `${path}?tenant_id=alpha`, { key: alphaKey })).status, path).toBe(
        200,
      );
    }
    // Naming its own tenant is fine.
    const own = await call(server, 'POST', '/events', {
      key: alphaKey,
      body: { type: 't.own', data: {}, tenant_id: 'alpha' },
    });
    expect(own.status).toBe(202);

    // Publishing reaches only the publisher's tenant.
    const published = await call(server, 'POST', '/events', {
      key: betaKey,
      body: { type: 't.x', data: {} },
    });
    expect(published.body.tenant_id).toBe('beta');
    const betaDeliveries = await call(server, 'GET', `/events/${published.body.id}/deliveries`, {
      key: betaKey,
    });
    expect(betaDeliveries.body.data.map((delivery: { endpoint_id: string }) => delivery.endpoint_id)).toEqual(
      [theirs.body.id],
    );
    const deliveryId = betaDeliveries.body.data[0].id;

    // Another tenant's ids: 404 everywhere.
    const foreign: Array<[string, string, unknown?]> = [
      ['GET', `/webhook-endpoints/${theirs.body.id}`],
      ['PATCH', `/webhook-endpoints/${theirs.body.id}`, { description: 'mine now' }],
      ['DELETE', `/webhook-endpoints/${theirs.body.id}`],
      ['GET', `/webhook-endpoints/${theirs.body.id}/secret`],
      ['POST', `/webhook-endpoints/${theirs.body.id}/rotate-secret`, {}],
      ['GET', `/events/${published.body.id}`],
      ['GET', `/events/${published.body.id}/deliveries`],
      ['GET', `/deliveries/${deliveryId}`],
      ['GET', `/deliveries/${deliveryId}/attempts`],
    ];
    for (const [method, path, body] of foreign) {
      const response = await call(server, method, path, { key: alphaKey, body });
      expect(response.status, `${method} ${path}`).toBe(404);
    }
    // Lists show only the caller's tenant.
    for (const path of ['/webhook-endpoints', '/events', '/deliveries']) {
      const list = await call(server, 'GET', path, { key: alphaKey });
      expect(list.status).toBe(200);
      expect(
        list.body.data.every((item: { tenant_id: string }) => item.tenant_id === 'alpha'),
        path,
      ).toBe(true);
    }
    // The admin key sees both.
    const adminList = await call(server, 'GET', '/webhook-endpoints');
    const tenants = new Set(adminList.body.data.map((endpoint: { tenant_id: string }) => endpoint.tenant_id));
    expect(tenants).toEqual(new Set(['alpha', 'beta']));
    expect((await call(server, 'GET', `/webhook-endpoints/${theirs.body.id}`)).status).toBe(200);
  });

  it('records last use, and a revoked key stops working (204)', async () => {
    const created = await call(server, 'POST', '/api-keys', { body: { tenant_id: 'delta', name: 'temp' } });
    expect((await call(server, 'GET', '/events', { key: created.body.key })).status).toBe(200);
    let lastUsed: string | null = null;
    for (let i = 0; i < 20 && !lastUsed; i++) {
      const list = await call(server, 'GET', '/api-keys?tenant_id=delta');
      lastUsed = list.body.data[0].last_used_at;
      if (!lastUsed) await new Promise((resolve) => setTimeout(resolve, 25));
    }
    expect(lastUsed).not.toBeNull();
    const revoked = await call(server, 'DELETE', `/api-keys/${created.body.id}`);
    expect(revoked.status).toBe(204);
    expect((await call(server, 'GET', '/events', { key: created.body.key })).status).toBe(401);
    const list = await call(server, 'GET', '/api-keys?tenant_id=delta');
    expect(list.body.data).toEqual([]);
    expect((await call(server, 'DELETE', `/api-keys/${created.body.id}`)).status).toBe(404);
  });
});

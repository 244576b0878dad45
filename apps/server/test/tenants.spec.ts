import { afterAll, beforeAll, expect, it } from 'vitest';
import { TestReceiver } from './support/dispatch-receiver';
import { call, errorFields, type JsonResponse } from './support/http';
import { describeEachDatabase, startServer, type TestServer } from './support/server';

/** What one tenant owns in these tests: one of everything, and its API key. */
interface Tenant {
  name: string;
  key: string;
  keyId: string;
  endpointId: string;
  eventId: string;
  deliveryId: string;
  replayId: string;
}

interface Request {
  path: string;
  body?: unknown;
}

/**
 * Every route that takes a resource id, with a request on a resource of `owner`. `fresh` requests
 * create what they destroy (DELETE), so every caller gets its own.
 */
type IdRoute = {
  op: string;
  request: (owner: Tenant, fresh: Fresh) => Promise<Request> | Request;
  /** Admin-only route: any tenant key gets 403, its own resource or not. */
  adminOnly?: boolean;
};

interface Fresh {
  endpoint(tenant: Tenant): Promise<string>;
  apiKey(tenant: Tenant): Promise<string>;
}

const SINCE = () => new Date(Date.now() - 3_600_000).toISOString();

const ID_ROUTES: IdRoute[] = [
  { op: 'GET /webhook-endpoints/{id}', request: (t) => ({ path: `/webhook-endpoints/${t.endpointId}` }) },
  {
    op: 'PATCH /webhook-endpoints/{id}',
    request: (t) => ({ path: `/webhook-endpoints/${t.endpointId}`, body: { description: 'changed' } }),
  },
  {
    op: 'DELETE /webhook-endpoints/{id}',
    request: async (t, fresh) => ({ path: `/webhook-endpoints/${await fresh.endpoint(t)}` }),
  },
  {
    op: 'GET /webhook-endpoints/{id}/secret',
    request: (t) => ({ path: `/webhook-endpoints/${t.endpointId}/secret` }),
  },
  {
    op: 'POST /webhook-endpoints/{id}/rotate-secret',
    request: async (t, fresh) => ({
      path: `/webhook-endpoints/${await fresh.endpoint(t)}/rotate-secret`,
      body: { grace_period_seconds: 0 },
    }),
  },
  {
    op: 'POST /webhook-endpoints/{id}/test',
    request: (t) => ({ path: `/webhook-endpoints/${t.endpointId}/test`, body: { data: { probe: true } } }),
  },
  {
    op: 'GET /webhook-endpoints/{id}/stats',
    request: (t) => ({ path: `/webhook-endpoints/${t.endpointId}/stats` }),
  },
  {
    op: 'POST /webhook-endpoints/{id}/replay',
    request: (t) => ({
      path: `/webhook-endpoints/${t.endpointId}/replay`,
      body: { since: SINCE(), dry_run: true },
    }),
  },
  { op: 'GET /replays/{id}', request: (t) => ({ path: `/replays/${t.replayId}` }) },
  { op: 'GET /events/{id}', request: (t) => ({ path: `/events/${t.eventId}` }) },
  { op: 'GET /events/{id}/deliveries', request: (t) => ({ path: `/events/${t.eventId}/deliveries` }) },
  { op: 'POST /events/{id}/replay', request: (t) => ({ path: `/events/${t.eventId}/replay`, body: {} }) },
  { op: 'GET /deliveries/{id}', request: (t) => ({ path: `/deliveries/${t.deliveryId}` }) },
  { op: 'GET /deliveries/{id}/attempts', request: (t) => ({ path: `/deliveries/${t.deliveryId}/attempts` }) },
  { op: 'POST /deliveries/{id}/retry', request: (t) => ({ path: `/deliveries/${t.deliveryId}/retry` }) },
  {
    op: 'DELETE /api-keys/{id}',
    request: async (t, fresh) => ({ path: `/api-keys/${await fresh.apiKey(t)}` }),
    adminOnly: true,
  },
];

/** Routes without an id: lists (filtered by `?tenant_id=`) and creations (`tenant_id` in the body). */
const LIST_ROUTES = ['GET /webhook-endpoints', 'GET /events', 'GET /deliveries'];
const CREATE_ROUTES: Array<{ op: string; body: (tenant: string) => Record<string, unknown> }> = [
  {
    op: 'POST /webhook-endpoints',
    body: (tenant) => ({ url: 'http://127.0.0.1:9/hook', events: ['*'], tenant_id: tenant }),
  },
  { op: 'POST /events', body: (tenant) => ({ type: 'tenant.probe', data: {}, tenant_id: tenant }) },
];
const ADMIN_ONLY_ROUTES = ['POST /api-keys', 'GET /api-keys'];

function split(op: string): [method: string, template: string] {
  const [method, template] = op.split(' ');
  return [method!, template!];
}

function allowedForOwner(response: JsonResponse): boolean {
  // The owner reaches the resource: success, or a conflict with the resource's state (e.g. retrying
  // a pending delivery). Never "not found", "forbidden" or "unauthorized".
  return (response.status >= 200 && response.status < 300) || response.status === 409;
}

describeEachDatabase('tenant isolation on every route', (db) => {
  let server: TestServer;
  let receiver: TestReceiver;
  let alpha: Tenant;
  let beta: Tenant;
  const fresh: Fresh = {
    endpoint: async (tenant) => {
      const created = await call(server, 'POST', '/webhook-endpoints', {
        body: { url: `${receiver.url}/${tenant.name}/spare`, events: ['none.*'], tenant_id: tenant.name },
      });
      expect(created.status).toBe(201);
      return created.body.id;
    },
    apiKey: async (tenant) => {
      const created = await call(server, 'POST', '/api-keys', {
        body: { tenant_id: tenant.name, name: 'spare' },
      });
      expect(created.status).toBe(201);
      return created.body.id;
    },
  };

  async function makeTenant(name: string): Promise<Tenant> {
    const key = await call(server, 'POST', '/api-keys', { body: { tenant_id: name, name: `${name} key` } });
    expect(key.status).toBe(201);
    const as = { url: server.url, apiKey: key.body.key as string };
    const endpoint = await call(as, 'POST', '/webhook-endpoints', {
      body: { url: `${receiver.url}/${name}`, events: ['order.*'] },
    });
    expect(endpoint.status).toBe(201);
    const event = await call(as, 'POST', '/events', { body: { type: 'order.created', data: { n: 1 } } });
    expect(event.status).toBe(202);
    const deliveries = await call(as, 'GET', `/events/${event.body.id}/deliveries`);
    expect(deliveries.body.data).toHaveLength(1);
    const replay = await call(as, 'POST', `/webhook-endpoints/${endpoint.body.id}/replay`, {
      body: { since: SINCE(), dry_run: true },
    });
    expect(replay.status).toBe(202);
    return {
      name,
      key: key.body.key,
      keyId: key.body.id,
      endpointId: endpoint.body.id,
      eventId: event.body.id,
      deliveryId: deliveries.body.data[0].id,
      replayId: replay.body.id,
    };
  }

  beforeAll(async () => {
    receiver = await TestReceiver.start();
    // API only: no dispatcher changing the deliveries compared below (test sends go out directly).
    server = await startServer({
      database: db,
      env: { WEBHOOKS_ROLE: 'api', WEBHOOKS_ALLOW_PRIVATE_TARGETS: 'true' },
    });
    alpha = await makeTenant('alpha');
    beta = await makeTenant('beta');
  });
  afterAll(async () => {
    await server?.close();
    await receiver?.close();
  });

  it('the tables below cover every authenticated operation of the API', async () => {
    const openapi = await call(server, 'GET', '/openapi.json', { key: null });
    const documented = Object.entries(openapi.body.paths as Record<string, Record<string, unknown>>).flatMap(
      ([path, operations]) => Object.keys(operations).map((method) => `${method.toUpperCase()} ${path}`),
    );
    const covered = [
      ...ID_ROUTES.map((route) => route.op),
      ...LIST_ROUTES,
      ...CREATE_ROUTES.map((route) => route.op),
      ...ADMIN_ONLY_ROUTES,
    ];
    const publicRoutes = ['GET /healthz', 'GET /readyz', 'GET /metrics'];
    expect(documented.filter((op) => !publicRoutes.includes(op)).sort()).toEqual([...covered].sort());
  });

  it("tenant A's key on tenant B's resource → 404 on every id route (403 on admin routes), and B's data is unchanged", async () => {
    const before = await call(server, 'GET', `/webhook-endpoints/${beta.endpointId}`);
    const secretBefore = await call(server, 'GET', `/webhook-endpoints/${beta.endpointId}/secret`);
    const deliveryBefore = await call(server, 'GET', `/deliveries/${beta.deliveryId}`);
    for (const route of ID_ROUTES) {
      const [method] = split(route.op);
      const { path, body } = await route.request(beta, fresh);
      const response = await call(server, method, path, { key: alpha.key, body });
      const expected = route.adminOnly ? 403 : 404;
      expect(response.status, `${route.op} → ${JSON.stringify(response.body)}`).toBe(expected);
      expect(response.headers.get('content-type')).toMatch(/application\/problem\+json/);
      // Nothing of B's resource leaks into the answer.
      expect(JSON.stringify(response.body)).not.toContain(beta.name);
    }
    expect((await call(server, 'GET', `/webhook-endpoints/${beta.endpointId}`)).body).toEqual(before.body);
    expect((await call(server, 'GET', `/webhook-endpoints/${beta.endpointId}/secret`)).body).toEqual(
      secretBefore.body,
    );
    expect((await call(server, 'GET', `/deliveries/${beta.deliveryId}`)).body).toEqual(deliveryBefore.body);
    expect((await call(server, 'GET', `/replays/${beta.replayId}`, { key: beta.key })).body.tenant_id).toBe(
      'beta',
    );
  });

  it('the owner and the admin both reach every id route', async () => {
    for (const route of ID_ROUTES) {
      const [method] = split(route.op);
      for (const [who, key] of [
        ['owner', beta.key],
        ['admin', server.apiKey],
      ] as const) {
        const { path, body } = await route.request(beta, fresh);
        const response = await call(server, method, path, { key, body });
        if (route.adminOnly && who === 'owner') {
          expect(response.status, `${who} ${route.op}`).toBe(403);
        } else {
          expect(
            allowedForOwner(response),
            `${who} ${route.op} → ${response.status} ${JSON.stringify(response.body)}`,
          ).toBe(true);
        }
      }
    }
  });

  it('naming another tenant in a query or body → 403 on tenant_id; naming its own is fine', async () => {
    for (const op of LIST_ROUTES) {
      const [, path] = split(op);
      const foreign = await call(server, 'GET', `${path}?tenant_id=beta`, { key: alpha.key });
      expect(foreign.status, op).toBe(403);
      expect(errorFields(foreign.body), op).toEqual(['tenant_id']);
      expect((await call(server, 'GET', `${path}?tenant_id=alpha`, { key: alpha.key })).status, op).toBe(200);
    }
    for (const route of CREATE_ROUTES) {
      const [method, path] = split(route.op);
      const foreign = await call(server, method, path, { key: alpha.key, body: route.body('beta') });
      expect(foreign.status, route.op).toBe(403);
      expect(errorFields(foreign.body), route.op).toEqual(['tenant_id']);
      const own = await call(server, method, path, { key: alpha.key, body: route.body('alpha') });
      expect([201, 202], route.op).toContain(own.status);
      expect(own.body.tenant_id).toBe('alpha');
    }
    // PATCH takes any field of POST: naming another tenant there is a 403 too.
    const patch = await call(server, 'PATCH', `/webhook-endpoints/${alpha.endpointId}`, {
      key: alpha.key,
      body: { tenant_id: 'beta' },
    });
    expect(patch.status).toBe(403);
    expect(errorFields(patch.body)).toEqual(['tenant_id']);
    // Routes without a tenant_id field refuse one (400), so no body can reach another tenant.
    for (const [path, body] of [
      [`/events/${alpha.eventId}/replay`, { tenant_id: 'beta' }],
      [`/webhook-endpoints/${alpha.endpointId}/replay`, { since: SINCE(), dry_run: true, tenant_id: 'beta' }],
      [`/webhook-endpoints/${alpha.endpointId}/test`, { tenant_id: 'beta' }],
      [`/webhook-endpoints/${alpha.endpointId}/rotate-secret`, { tenant_id: 'beta' }],
    ] as const) {
      const response = await call(server, 'POST', path, { key: alpha.key, body });
      expect(response.status, path).toBe(400);
      expect(errorFields(response.body), path).toEqual(['tenant_id']);
    }
  });

  it('only the admin manages keys: every API-key route is a 403 for a tenant key, even on its own tenant', async () => {
    for (const key of [alpha.key, beta.key]) {
      expect((await call(server, 'GET', '/api-keys', { key })).status).toBe(403);
      expect((await call(server, 'GET', '/api-keys?tenant_id=alpha', { key })).status).toBe(403);
      expect(
        (await call(server, 'POST', '/api-keys', { key, body: { tenant_id: 'alpha', name: 'x' } })).status,
      ).toBe(403);
      expect((await call(server, 'DELETE', `/api-keys/${alpha.keyId}`, { key })).status).toBe(403);
    }
    expect((await call(server, 'GET', '/events', { key: alpha.key })).status).toBe(200);
  });

  it('lists show a tenant only its own rows, even when filtered by another tenant’s ids; the admin sees both', async () => {
    const filtered: Array<[string, string]> = [
      ['/webhook-endpoints', ''],
      ['/events', ''],
      ['/deliveries', ''],
      ['/deliveries', `?endpoint_id=${beta.endpointId}`],
      ['/deliveries', `?event_id=${beta.eventId}`],
      ['/events', '?type=order.created'],
    ];
    for (const [path, query] of filtered) {
      const list = await call(server, 'GET', `${path}${query}`, { key: alpha.key });
      expect(list.status, path + query).toBe(200);
      const tenants = new Set(list.body.data.map((row: { tenant_id: string }) => row.tenant_id));
      expect(
        [...tenants].filter((tenant) => tenant !== 'alpha'),
        path + query,
      ).toEqual([]);
    }
    for (const path of ['/webhook-endpoints', '/events', '/deliveries']) {
      const list = await call(server, 'GET', `${path}?limit=250`);
      const tenants = new Set(list.body.data.map((row: { tenant_id: string }) => row.tenant_id));
      expect(tenants.has('alpha') && tenants.has('beta'), path).toBe(true);
    }
  });

  it("replaying an event to another tenant's endpoint: 404 for a tenant key, 409 for the admin", async () => {
    const asTenant = await call(server, 'POST', `/events/${alpha.eventId}/replay`, {
      key: alpha.key,
      body: { endpoint_ids: [beta.endpointId] },
    });
    expect(asTenant.status).toBe(404);
    const asAdmin = await call(server, 'POST', `/events/${alpha.eventId}/replay`, {
      body: { endpoint_ids: [beta.endpointId] },
    });
    expect(asAdmin.status).toBe(409);
  });

  it("events reach only their own tenant's endpoints", async () => {
    const published = await call(server, 'POST', '/events', {
      key: alpha.key,
      body: { type: 'order.shipped', data: {} },
    });
    const deliveries = await call(server, 'GET', `/deliveries?event_id=${published.body.id}`);
    const targets = deliveries.body.data.map((delivery: { endpoint_id: string }) => delivery.endpoint_id);
    expect(targets).toContain(alpha.endpointId);
    for (const endpointId of targets) {
      expect((await call(server, 'GET', `/webhook-endpoints/${endpointId}`)).body.tenant_id).toBe('alpha');
    }
  });
});

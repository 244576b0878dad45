import { afterAll, beforeAll, expect, it } from 'vitest';
import { call, errorFields } from './support/http';
import { describeEachDatabase, startServer, type TestServer } from './support/server';

/** `depth` levels of objects: `nested(1)` is `{"deeper":"leaf"}`. */
function nested(depth: number): unknown {
  let value: unknown = 'leaf';
  for (let i = 0; i < depth; i++) value = { deeper: value };
  return value;
}

/** Deeper than anything should serialize, so sent as raw text. */
const DEEP_EVENT = `{"type":"a.b","data":${'{"d":'.repeat(5000)}1${'}'.repeat(5001)}`;

// Loopback only: the test route really sends (to a closed port here).
const ENDPOINT = { url: 'http://127.0.0.1:9/hook', events: ['a.*'] };

describeEachDatabase('input limits: each refusal is a 400 naming the field, and stores nothing', (db) => {
  let server: TestServer;
  let endpointId: string;
  beforeAll(async () => {
    server = await startServer({ database: db, env: { WEBHOOKS_ROLE: 'api' } });
    endpointId = (await call(server, 'POST', '/webhook-endpoints', { body: ENDPOINT })).body.id;
  });
  afterAll(() => server?.close());

  async function counts(): Promise<string> {
    const parts: string[] = [];
    for (const table of ['endpoints', 'events', 'deliveries', 'api_keys', 'idempotency_keys', 'replays']) {
      const [row] = await server.dataSource.query(`SELECT COUNT(*) AS n FROM ${table}`);
      parts.push(`${table}=${row.n}`);
    }
    return parts.join(' ');
  }

  const cases: Array<[string, string, string, unknown, string, Record<string, string>?]> = [
    [
      'url over 2048 characters',
      'POST',
      '/webhook-endpoints',
      { ...ENDPOINT, url: `http://127.0.0.1:9/${'a'.repeat(2048)}` },
      'url',
    ],
    [
      '101 event patterns',
      'POST',
      '/webhook-endpoints',
      { ...ENDPOINT, events: Array.from({ length: 101 }, (_, i) => `e${i}`) },
      'events',
    ],
    [
      'a 201-character pattern',
      'POST',
      '/webhook-endpoints',
      { ...ENDPOINT, events: ['a'.repeat(201)] },
      'events[0]',
    ],
    [
      '21 headers',
      'POST',
      '/webhook-endpoints',
      { ...ENDPOINT, headers: Object.fromEntries(Array.from({ length: 21 }, (_, i) => [`X-${i}`, 'v'])) },
      'headers',
    ],
    [
      'a header name that is not a token',
      'POST',
      '/webhook-endpoints',
      { ...ENDPOINT, headers: { 'X Bad': 'v' } },
      'headers',
    ],
    [
      'a 101-character header name',
      'POST',
      '/webhook-endpoints',
      { ...ENDPOINT, headers: { [`X-${'a'.repeat(99)}`]: 'v' } },
      'headers',
    ],
    [
      'CR/LF in a header value',
      'POST',
      '/webhook-endpoints',
      { ...ENDPOINT, headers: { 'X-A': 'v\r\nX-Injected: 1' } },
      'headers',
    ],
    [
      'a 1001-character header value',
      'POST',
      '/webhook-endpoints',
      { ...ENDPOINT, headers: { 'X-A': 'v'.repeat(1001) } },
      'headers',
    ],
    [
      'a 501-character description',
      'POST',
      '/webhook-endpoints',
      { ...ENDPOINT, description: 'd'.repeat(501) },
      'description',
    ],
    [
      '51 metadata keys',
      'POST',
      '/webhook-endpoints',
      { ...ENDPOINT, metadata: Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`k${i}`, 'v'])) },
      'metadata',
    ],
    [
      'metadata over 8 KiB',
      'POST',
      '/webhook-endpoints',
      {
        ...ENDPOINT,
        metadata: Object.fromEntries(Array.from({ length: 9 }, (_, i) => [`k${i}`, 'v'.repeat(1000)])),
      },
      'metadata',
    ],
    [
      'a bad tenant_id',
      'POST',
      '/webhook-endpoints',
      { ...ENDPOINT, tenant_id: 't'.repeat(101) },
      'tenant_id',
    ],
    ['PATCH with a bad header', 'PATCH', '/webhook-endpoints/{id}', { headers: { Host: 'x' } }, 'headers'],
    ['event data 33 levels deep', 'POST', '/events', { type: 'a.b', data: nested(33) }, 'data'],
    ['event data 5000 levels deep', 'POST', '/events', DEEP_EVENT, 'data'],
    ['a 201-character event type', 'POST', '/events', { type: 'a'.repeat(201), data: {} }, 'type'],
    [
      'an event tenant_id with spaces',
      'POST',
      '/events',
      { type: 'a.b', data: {}, tenant_id: 'a b' },
      'tenant_id',
    ],
    [
      'a 256-character Idempotency-Key',
      'POST',
      '/events',
      { type: 'a.b', data: {} },
      'Idempotency-Key',
      { 'idempotency-key': 'k'.repeat(256) },
    ],
    ['test data 33 levels deep', 'POST', '/webhook-endpoints/{id}/test', { data: nested(33) }, 'data'],
    [
      'a week date as replay since',
      'POST',
      '/webhook-endpoints/{id}/replay',
      { since: '2025-W01', dry_run: true },
      'since',
    ],
    [
      'a grace period over 7 days',
      'POST',
      '/webhook-endpoints/{id}/rotate-secret',
      { grace_period_seconds: 604_801 },
      'grace_period_seconds',
    ],
    ['a 201-character key name', 'POST', '/api-keys', { tenant_id: 'x', name: 'n'.repeat(201) }, 'name'],
    ['limit=0', 'GET', '/events?limit=0', undefined, 'limit'],
    ['limit=abc', 'GET', '/deliveries?limit=abc', undefined, 'limit'],
    ['a made-up cursor', 'GET', '/webhook-endpoints?cursor=garbage', undefined, 'cursor'],
    [
      "another list's cursor (an event id on the deliveries list)",
      'GET',
      `/deliveries?cursor=${Buffer.from('evt_01M8E6MJ7JKTS0H79T6B785D7W').toString('base64url')}`,
      undefined,
      'cursor',
    ],
    ['a tenant_id filter with spaces', 'GET', '/events?tenant_id=a%20b', undefined, 'tenant_id'],
    [
      'a 300-character tenant_id filter',
      'GET',
      `/deliveries?tenant_id=${'t'.repeat(300)}`,
      undefined,
      'tenant_id',
    ],
    ['a tenant_id filter on keys', 'GET', '/api-keys?tenant_id=%00', undefined, 'tenant_id'],
    ['a week date as since', 'GET', '/events?since=2025-W01', undefined, 'since'],
    ['a bad type filter', 'GET', '/events?type=a%20b', undefined, 'type'],
    [
      'a 500-character endpoint_id filter',
      'GET',
      `/deliveries?endpoint_id=${'w'.repeat(500)}`,
      undefined,
      'endpoint_id',
    ],
    [
      'an unknown constructor field',
      'POST',
      '/events',
      JSON.parse('{"type":"a.b","data":{},"constructor":"x"}'),
      'constructor',
    ],
    [
      'an unknown __proto__ field',
      'POST',
      '/events',
      '{"type":"a.b","data":{},"__proto__":{"admin":true}}',
      '__proto__',
    ],
    [
      'Object.prototype names as fields',
      'POST',
      '/events',
      { type: 'a.b', data: {}, hasOwnProperty: 1, toString: 'x', valueOf: null },
      'hasOwnProperty',
    ],
  ];

  it.each(cases)('%s → 400 on %s', async (_name, method, template, body, field, headers) => {
    const before = await counts();
    const response = await call(server, method, template.replace('{id}', endpointId), {
      ...(typeof body === 'string' ? { rawBody: body } : { body }),
      headers,
    });
    expect(response.status, JSON.stringify(response.body)).toBe(400);
    expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(errorFields(response.body)).toContain(field);
    expect(await counts()).toBe(before);
  });

  it('the limits themselves are accepted', async () => {
    const fits = await call(server, 'POST', '/webhook-endpoints', {
      body: {
        url: `http://127.0.0.1:9/${'a'.repeat(2048 - 'http://127.0.0.1:9/'.length)}`,
        events: Array.from({ length: 100 }, (_, i) => `e${i}.${'x'.repeat(150)}`),
        headers: Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`X-${i}`, 'v'.repeat(100)])),
        metadata: Object.fromEntries(Array.from({ length: 7 }, (_, i) => [`k${i}`, 'v'.repeat(1000)])),
        description: 'd'.repeat(500),
        tenant_id: 't'.repeat(100),
      },
    });
    expect(fits.status, JSON.stringify(fits.body)).toBe(201);
    const event = await call(server, 'POST', '/events', {
      body: { type: 'a'.repeat(200), data: nested(32) },
      headers: { 'idempotency-key': 'k'.repeat(255) },
    });
    expect(event.status, JSON.stringify(event.body)).toBe(202);
    expect(event.body.data).toEqual(nested(32));
  });
});

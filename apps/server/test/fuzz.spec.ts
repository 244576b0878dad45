import { createHash } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { TestReceiver } from './support/dispatch-receiver';
import { call } from './support/http';
import { describeEachDatabase, startServer, type TestServer } from './support/server';

type Random = () => number;
const pick = <T>(random: Random, items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
const int = (random: Random, min: number, max: number) => min + Math.floor(random() * (max - min + 1));

function nested(depth: number, leaf: unknown = 1): unknown {
  let value = leaf;
  for (let i = 0; i < depth; i++) value = i % 2 === 0 ? { k: value } : [value];
  return value;
}

const ALPHABET = [
  'a',
  'Z',
  '0',
  '.',
  '*',
  '-',
  '_',
  ' ',
  '\t',
  '\r\n',
  '\u0000',
  '"',
  "'",
  '\\',
  '/',
  '%',
  '%00',
  '<',
  '>',
  '{',
  '}',
  '\u202e',
  '\u200b',
  '\ufeff',
  'é',
  '€',
  '漢',
  '😀',
  '\ud800',
  '\udfff',
];

function randomString(random: Random): string {
  const length = pick(random, [0, 1, 2, 5, 20, 100, 201, 256, 1_000, 5_000]);
  let text = '';
  for (let i = 0; i < length; i++) text += pick(random, ALPHABET);
  return text;
}

/** A hostile value of any JSON type. */
function hostile(random: Random): unknown {
  switch (int(random, 0, 21)) {
    case 0:
      return null;
    case 1:
      return pick(random, [true, false]);
    case 2:
      return pick(random, [0, -1, 1.5, -0, 1e308, -1e308, 2 ** 53 + 1, 4_294_967_296, 604_801, 10_001]);
    case 3:
      return randomString(random);
    case 4:
      return 'x'.repeat(pick(random, [2_049, 10_000, 100_000]));
    case 5:
      return [];
    case 6:
      return Array.from({ length: int(random, 1, 150) }, () =>
        pick(random, ['a.b', '*', 1, null, {}, 'x'.repeat(300)]),
      );
    case 7:
      return {};
    case 8:
      return JSON.parse('{"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}}}');
    case 9:
      return nested(pick(random, [31, 33, 100, 2_000]));
    case 10:
      return Object.fromEntries(Array.from({ length: int(random, 20, 80) }, (_, i) => [`X-H${i}`, 'v']));
    case 11:
      return { 'Bad Name': 'x', 'X-Ok': 'a\r\nInjected: 1' };
    case 12:
      return { 'Content-Type': 'text/html', Host: 'evil' };
    case 13:
      return { ['k'.repeat(200)]: 'v'.repeat(2_000) };
    case 14:
      return pick(random, ['*', 'a..b', '.a', 'a.', 'a.*.b', '**', 'a b', '']);
    case 15:
      return pick(random, [
        'ftp://127.0.0.1/',
        'javascript:alert(1)',
        'http://user:pass@127.0.0.1/',
        '//127.0.0.1/x',
        'http://[::1',
        'http://127.0.0.1:99999/',
        'file:///etc/passwd',
        'http:// 127.0.0.1/',
      ]);
    case 16:
      return pick(random, [
        '2025-W01',
        '2025-02-30T00:00:00Z',
        '0000-00-00',
        'yesterday',
        '2025-13-01',
        '9'.repeat(30),
      ]);
    case 17:
      return pick(random, ['enabled ', 'ENABLED', 'deleted', 'all ', 'none']);
    case 18:
      return pick(random, [
        "' OR 1=1 --",
        'default; DROP TABLE endpoints',
        '../../etc',
        'a'.repeat(101),
        'has space',
      ]);
    case 19:
      return Object.fromEntries(Array.from({ length: 60 }, (_, i) => [`m${i}`, String(i)]));
    case 20:
      return { k: 'v'.repeat(1_001) };
    default:
      return pick(random, [
        'wh_01JH2Y4S8M1V8X9Q2W3E4R5T6Y',
        'wh_x',
        'evt_01JH2Y4S8M1V8X9Q2W3E4R5T6Y',
        'key_',
      ]);
  }
}

interface Route {
  method: string;
  path: (ids: Ids, random: Random) => string;
  /** A valid body: the fuzzer breaks it. */
  valid: (ids: Ids) => Record<string, unknown> | undefined;
}

interface Ids {
  endpoint: string;
  event: string;
  delivery: string;
  apiKey: string;
  receiver: string;
}

const GARBAGE_IDS = [
  'x',
  'wh_',
  'wh_01JH2Y4S8M1V8X9Q2W3E4R5T6Y',
  `wh_${'A'.repeat(5_000)}`,
  '%00',
  '..%2F..%2Fapi-keys',
  '%F0%9F%98%80',
  "'%20OR%201=1",
  'null',
  '%E2%80%AE',
  '%',
  '%E0%A4%A',
  '%ZZ',
];

/** Mostly the real resource (so the body is what gets checked), sometimes a garbage id. */
const id = (real: string, random: Random) => (random() < 0.8 ? real : pick(random, GARBAGE_IDS));

const ROUTES: Route[] = [
  {
    method: 'POST',
    path: () => '/webhook-endpoints',
    valid: (ids) => ({
      url: `${ids.receiver}/fuzz`,
      events: ['a.*'],
      description: 'd',
      metadata: { a: 'b' },
    }),
  },
  {
    method: 'PATCH',
    path: (ids, random) => `/webhook-endpoints/${id(ids.endpoint, random)}`,
    valid: () => ({ description: 'patched', events: ['b.*'], status: 'enabled', headers: { 'X-A': '1' } }),
  },
  {
    method: 'DELETE',
    path: (_ids, random) => `/webhook-endpoints/${pick(random, GARBAGE_IDS)}`,
    valid: () => undefined,
  },
  {
    method: 'POST',
    path: (ids, random) => `/webhook-endpoints/${id(ids.endpoint, random)}/rotate-secret`,
    valid: () => ({ grace_period_seconds: 60 }),
  },
  {
    method: 'POST',
    path: (ids, random) => `/webhook-endpoints/${id(ids.endpoint, random)}/test`,
    valid: () => ({ type: 'fuzz.test', data: { a: 1 } }),
  },
  {
    method: 'POST',
    path: (ids, random) => `/webhook-endpoints/${id(ids.endpoint, random)}/replay`,
    valid: () => ({
      since: '2025-01-01T00:00:00Z',
      until: '2025-01-02T00:00:00Z',
      types: ['a.*'],
      only: 'all',
      dry_run: true,
    }),
  },
  {
    method: 'POST',
    path: () => '/events',
    valid: () => ({ type: 'fuzz.event', data: { a: [1, { b: 2 }] } }),
  },
  {
    method: 'POST',
    path: (ids, random) => `/events/${id(ids.event, random)}/replay`,
    valid: (ids) => ({ endpoint_ids: [ids.endpoint] }),
  },
  {
    method: 'POST',
    path: (ids, random) => `/deliveries/${id(ids.delivery, random)}/retry`,
    valid: () => undefined,
  },
  { method: 'POST', path: () => '/api-keys', valid: () => ({ tenant_id: 'fuzz', name: 'fuzz key' }) },
  {
    method: 'DELETE',
    path: (_ids, random) => `/api-keys/${pick(random, GARBAGE_IDS)}`,
    valid: () => undefined,
  },
];

const LISTS = [
  '/webhook-endpoints',
  '/events',
  '/deliveries',
  '/api-keys',
  '/events/{event}/deliveries',
  '/deliveries/{delivery}/attempts',
];
const QUERY_GARBAGE = [
  'limit=0',
  'limit=251',
  'limit=-1',
  'limit=1.5',
  'limit=abc',
  'limit=1e3',
  'limit=&limit=2',
  'limit[]=1',
  'limit[a]=1',
  'cursor=',
  'cursor=%00',
  'cursor=bm90LWFuLWlk',
  `cursor=${'A'.repeat(5_000)}`,
  'cursor[]=x',
  'tenant_id=%20',
  `tenant_id=${'t'.repeat(300)}`,
  'tenant_id[]=a&tenant_id[]=b',
  'since=2025-W01',
  'until=2025-02-30',
  'since=not-a-date',
  'status=sideways',
  `endpoint_id=${'w'.repeat(500)}`,
  'type=a%20b',
  'type=*',
  'unknown=1',
  '__proto__[x]=1',
  'constructor=1',
  'window=1y',
];

interface Sent {
  method: string;
  path: string;
  body?: string;
  headers: Record<string, string>;
}

/** One malformed request for `route`: a broken body, a hostile field, or odd framing. */
function malformed(route: Route, ids: Ids, random: Random, adminKey: string, tenantKey: string): Sent {
  const headers: Record<string, string> = {
    authorization: `Bearer ${random() < 0.85 ? adminKey : tenantKey}`,
    'content-type': 'application/json',
  };
  const path = route.path(ids, random);
  const valid = route.valid(ids) ?? {};
  let body: string | undefined;
  switch (int(random, 0, 9)) {
    case 0:
      body = pick(random, [
        '{',
        '{"a":}',
        '{"a":1,}',
        "{'a':1}",
        'nul',
        '[',
        '{"a":"\\x"}',
        '{"a":1}{"b":2}',
        '\u0000',
        '{"a":1e999999}',
        `{"type":"a","data":${'['.repeat(10_000)}`,
        '\ufeff{"a":1}',
        String.fromCharCode(...Array.from({ length: 64 }, () => int(random, 0, 255))),
      ]);
      break;
    case 1:
      body = JSON.stringify(pick(random, [[], [valid], 'string', 42, null, true, nested(50)]));
      break;
    case 2: {
      // One field replaced, or an unknown one added.
      const keys = Object.keys(valid);
      const field =
        keys.length > 0 && random() < 0.8
          ? pick(random, keys)
          : pick(random, [
              '__proto__',
              'constructor',
              'toString',
              'hasOwnProperty',
              'tenant',
              'id',
              'secret',
              'prototype',
              '',
            ]);
      body = JSON.stringify({ ...valid, [field]: hostile(random) });
      if (field === '__proto__') body = body.replace('"__proto__"', '"__proto__"');
      break;
    }
    case 3: {
      // Every field hostile.
      body = JSON.stringify(Object.fromEntries(Object.keys(valid).map((key) => [key, hostile(random)])));
      if (body === '{}') body = JSON.stringify({ [randomString(random) || 'x']: hostile(random) });
      break;
    }
    case 4:
      // Prototype keys as written on the wire (JSON.stringify cannot produce an own __proto__).
      body = `{"__proto__":{"isAdmin":true},${JSON.stringify(valid).slice(1).replace(/^}$/, '"x":1}')}`;
      break;
    case 5:
      headers['content-type'] = pick(random, [
        'text/plain',
        'application/x-www-form-urlencoded',
        'multipart/form-data; boundary=x',
        'application/json; charset=utf-16',
        'application/json; charset=latin1',
        'application/xml',
        '',
        'application/json, text/plain',
        'json',
      ]);
      body = JSON.stringify(valid);
      break;
    case 6:
      headers['content-encoding'] = pick(random, ['gzip', 'deflate', 'br', 'identity, gzip', 'x-unknown']);
      body = JSON.stringify(valid);
      break;
    case 7:
      // Over WEBHOOKS_MAX_PAYLOAD_BYTES (64 KiB in this server): 413.
      body = JSON.stringify({ ...valid, padding: 'x'.repeat(70_000) });
      break;
    case 8:
      headers.authorization = pick(random, [
        'Bearer',
        'Bearer ',
        'bearer  x y',
        `Bearer ${'k'.repeat(20_000)}`,
        'Basic YTpi',
        'Bearer ak_\u00e9',
      ]);
      body = JSON.stringify(valid);
      break;
    default:
      headers['idempotency-key'] = pick(random, [
        '',
        ' ',
        'k'.repeat(256),
        'a b',
        'tab\there',
        'caf\u00e9',
        'x'.repeat(10_000),
      ]);
      body = JSON.stringify({
        ...valid,
        [pick(random, Object.keys(valid).concat('extra'))]: hostile(random),
      });
      break;
  }
  return { method: route.method, path, body, headers };
}

/** Never let a malformed body steer a test request away from loopback: any http(s) URL is re-pointed. */
function loopbackOnly(sent: Sent, receiver: string): Sent {
  if (sent.body === undefined) return sent;
  const rewritten = sent.body.replace(/https?:\/\/(?!127\.0\.0\.1[:/])[^"\s]*/gi, `${receiver}/rewritten`);
  return { ...sent, body: rewritten };
}

describeEachDatabase('fuzzing every write route with malformed input', (db) => {
  let server: TestServer;
  let receiver: TestReceiver;
  let ids: Ids;
  let tenantKey: string;
  let tables: string[];

  beforeAll(async () => {
    receiver = await TestReceiver.start();
    server = await startServer({
      database: db,
      env: { WEBHOOKS_ROLE: 'api', WEBHOOKS_API_RATE_LIMIT: 'off', WEBHOOKS_MAX_PAYLOAD_BYTES: '65536' },
    });
    const endpoint = await call(server, 'POST', '/webhook-endpoints', {
      body: { url: `${receiver.url}/fuzz`, events: ['*'], tenant_id: 'fuzz' },
    });
    const event = await call(server, 'POST', '/events', {
      body: { type: 'a.b', data: {}, tenant_id: 'fuzz' },
    });
    const deliveries = await call(server, 'GET', `/events/${event.body.id}/deliveries`);
    const key = await call(server, 'POST', '/api-keys', { body: { tenant_id: 'fuzz', name: 'k' } });
    tenantKey = key.body.key;
    ids = {
      endpoint: endpoint.body.id,
      event: event.body.id,
      delivery: deliveries.body.data[0].id,
      apiKey: key.body.id,
      receiver: receiver.url,
    };
    tables = server.dataSource.entityMetadatas.map((metadata) => metadata.tableName).sort();
  });
  afterAll(async () => {
    await server?.close();
    await receiver?.close();
  });

  /** Row counts of every table, plus a digest of the endpoints (a refused PATCH must change nothing). */
  async function snapshot(): Promise<string> {
    const counts: string[] = [];
    for (const table of tables) {
      const [row] = await server.dataSource.query(`SELECT COUNT(*) AS n FROM ${table}`);
      counts.push(`${table}=${row.n}`);
    }
    const endpoints = await server.dataSource.query('SELECT * FROM endpoints ORDER BY id');
    const digest = createHash('sha256').update(JSON.stringify(endpoints)).digest('hex').slice(0, 12);
    return `${counts.join(' ')} endpoints#${digest}`;
  }

  const SEED = Number(process.env.FUZZ_SEED ?? 0x5eed);
  const REQUESTS = db === 'sqlite' ? 700 : 350;

  it(`${REQUESTS} malformed requests (seed ${SEED}) get 4xx problem+json, store nothing, and leave the server healthy`, async () => {
    // The mock receiver's seeded PRNG (an ES module, hence the dynamic import), so a failure replays
    // exactly: the seed is in the test name.
    const { mulberry32 } = await import('@acme/mock-receiver');
    const random = mulberry32(SEED);
    const statuses = new Map<number, number>();
    let before = await snapshot();
    let sent = 0;
    for (let i = 0; i < REQUESTS; i++) {
      const route = ROUTES[i % ROUTES.length]!;
      const request = loopbackOnly(malformed(route, ids, random, server.apiKey, tenantKey), receiver.url);
      let response: Response;
      try {
        response = await fetch(`${server.url}${request.path}`, {
          method: request.method,
          headers: request.headers,
          body: request.body,
        });
      } catch (error) {
        // fetch itself refuses some header values (e.g. non-Latin-1); nothing reached the server.
        expect(String(error)).toMatch(/TypeError|invalid|header/i);
        continue;
      }
      sent++;
      const text = await response.text();
      const label = `#${i} ${request.method} ${request.path.slice(0, 80)} ${JSON.stringify(request.headers).slice(0, 200)} ${String(request.body).slice(0, 200)} → ${response.status} ${text.slice(0, 300)}`;
      statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
      expect(response.status, label).toBeLessThan(500);
      const after = await snapshot();
      if (response.status >= 400) {
        expect(String(response.headers.get('content-type')), label).toMatch(/^application\/problem\+json/);
        const problem = JSON.parse(text);
        expect(problem.status, label).toBe(response.status);
        expect(Array.isArray(problem.errors), label).toBe(true);
      }
      if (response.status >= 400) expect(after, `refused, yet the database changed: ${label}`).toBe(before);
      before = after;
    }
    expect(sent).toBeGreaterThan(REQUESTS * 0.9);
    // Almost everything was refused; the few accepted were bodies the mutation left valid.
    const accepted = [...statuses].filter(([status]) => status < 400).reduce((sum, [, n]) => sum + n, 0);
    expect(accepted).toBeLessThan(sent * 0.15);
    expect(statuses.get(400) ?? 0).toBeGreaterThan(sent * 0.4);
    for (const status of [401, 404, 413, 415])
      expect(statuses.get(status) ?? 0, `some ${status}s`).toBeGreaterThan(0);

    // Still healthy, and a normal request works.
    expect((await call(server, 'GET', '/healthz', { key: null })).status).toBe(200);
    expect((await call(server, 'GET', '/readyz', { key: null })).status).toBe(200);
    const normal = await call(server, 'POST', '/events', {
      body: { type: 'after.fuzz', data: { ok: true }, tenant_id: 'fuzz' },
    });
    expect(normal.status).toBe(202);
    expect((await call(server, 'GET', `/events/${normal.body.id}`)).body.data).toEqual({ ok: true });
  });

  it('garbage query parameters on every list route are 400s, never 500s', async () => {
    for (const list of LISTS) {
      const path = list.replace('{event}', ids.event).replace('{delivery}', ids.delivery);
      for (const query of QUERY_GARBAGE) {
        const response = await call(server, 'GET', `${path}?${query}`);
        expect(response.status, `${path}?${query.slice(0, 60)}`).toBeGreaterThanOrEqual(400);
        expect(response.status, `${path}?${query.slice(0, 60)}`).toBeLessThan(500);
      }
    }
    const stats = await call(server, 'GET', `/webhook-endpoints/${ids.endpoint}/stats?window=1y`);
    expect(stats.status).toBe(400);
  });
});

/**
 * The CLI against a stand-in HTTP server on loopback that answers in the shapes of CONTRACT §3.
 * This pins what the CLI sends and how it renders answers and errors; server.e2e.spec.ts runs the
 * same commands against the real server.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { run } from '../src/index.js';
import { expectOneLine, runBin } from './bin.js';

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: unknown;
}

type Handler = (req: Seen) => { status: number; body?: unknown; type?: string };

const KEY = 'test-key';
let server: Server;
let base: string;
let seen: Seen[] = [];
let routes: Record<string, Handler> = {};

const endpoint = {
  id: 'wh_1',
  url: 'http://127.0.0.1:4000/hooks',
  events: ['invoice.*'],
  description: null,
  tenant_id: 'default',
  status: 'enabled',
  disabled_reason: null,
  headers: {},
  metadata: {},
  max_concurrency: 10,
  rate_limit_per_second: null,
  created_at: '2025-01-13T12:35:00.000Z',
  updated_at: '2025-01-13T12:35:00.000Z',
};

function delivery(id: string, status: string, attempts = 0, code: number | null = null) {
  return {
    id,
    event_id: 'evt_1',
    endpoint_id: 'wh_1',
    tenant_id: 'default',
    status,
    attempts,
    next_attempt_at: null,
    last_attempt_at: null,
    last_status_code: code,
    last_error: code && code >= 300 ? 'http_status' : null,
    trigger: 'event',
    created_at: '2025-01-13T12:35:00.000Z',
    updated_at: '2025-01-13T12:35:01.000Z',
  };
}

function answer(res: ServerResponse, status: number, body: unknown, type = 'application/json') {
  if (body === undefined) return res.writeHead(status).end();
  res.writeHead(status, { 'content-type': type });
  res.end(typeof body === 'string' ? body : JSON.stringify(body));
}

beforeAll(async () => {
  server = createServer(async (req, res) => {
    let text = '';
    for await (const chunk of req) text += chunk;
    const request: Seen = {
      method: req.method ?? '',
      url: req.url ?? '',
      headers: req.headers,
      body: text ? JSON.parse(text) : undefined,
    };
    seen.push(request);
    if (req.headers.authorization !== `Bearer ${KEY}`) {
      return answer(
        res,
        401,
        { type: 'about:blank', title: 'Unauthorized', status: 401, detail: 'bad key' },
        'application/problem+json',
      );
    }
    const path = request.url.split('?')[0] ?? '';
    const handler = routes[`${request.method} ${path}`];
    if (!handler) {
      return answer(
        res,
        404,
        { title: 'Not Found', status: 404, detail: `no ${path}` },
        'application/problem+json',
      );
    }
    const result = handler(request);
    answer(res, result.status, result.body, result.type);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

beforeEach(() => {
  seen = [];
  routes = {};
});

const env = () => ({ ACME_WEBHOOKS_URL: base, ACME_WEBHOOKS_API_KEY: KEY });

describe('requests the CLI sends', () => {
  it('endpoints create posts the contract body and shows the secret', async () => {
    routes['POST /webhook-endpoints'] = () => ({ status: 201, body: { ...endpoint, secret: 'whsec_abc' } });
    const { code, stdout } = await runBin(
      [
        'endpoints',
        'create',
        'http://127.0.0.1:4000/hooks',
        '--events',
        'invoice.*, order.paid',
        '--header',
        'X-Env: staging',
        '--metadata',
        '{"team":"billing"}',
        '--max-concurrency',
        '5',
        '--tenant',
        'acme',
      ],
      { env: env() },
    );
    expect(code).toBe(0);
    expect(seen[0]).toMatchObject({
      method: 'POST',
      url: '/webhook-endpoints',
      headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
      body: {
        url: 'http://127.0.0.1:4000/hooks',
        events: ['invoice.*', 'order.paid'],
        headers: { 'X-Env': 'staging' },
        metadata: { team: 'billing' },
        max_concurrency: 5,
        tenant_id: 'acme',
      },
    });
    expect(stdout).toContain('Created endpoint wh_1');
    expect(stdout).toContain('Signing secret: whsec_abc');
  });

  it('events send passes the Idempotency-Key header and --data @file', async () => {
    routes['POST /events'] = (req) => ({
      status: 202,
      body: {
        id: 'evt_1',
        type: 'invoice.paid',
        tenant_id: 'default',
        created_at: endpoint.created_at,
        data: req.body,
      },
    });
    const { code, stdout } = await runBin(
      ['events', 'send', 'invoice.paid', '--data', '{"amount":4900}', '--idempotency-key', 'k-1', '--json'],
      { env: env() },
    );
    expect(code).toBe(0);
    expect(seen[0]?.headers['idempotency-key']).toBe('k-1');
    expect(seen[0]?.body).toEqual({ type: 'invoice.paid', data: { amount: 4900 } });
    expect(JSON.parse(stdout)).toMatchObject({ id: 'evt_1' });

    // @file is read relative to the working directory.
    const dir = mkdtempSync(join(tmpdir(), 'acme-cli-data-'));
    writeFileSync(join(dir, 'order.json'), '{"order_id":"ord_1","amount":1200}');
    const fromFile = await runBin(['events', 'send', 'order.paid', '--data', '@order.json', '--json'], {
      env: env(),
      cwd: dir,
    });
    expect(fromFile.code, fromFile.stderr).toBe(0);
    expect(seen[1]?.body).toEqual({ type: 'order.paid', data: { order_id: 'ord_1', amount: 1200 } });
  });

  it('lists pass filters and paging as query parameters, and --all follows next_cursor', async () => {
    routes['GET /deliveries'] = (req) => {
      const cursor = new URL(req.url, base).searchParams.get('cursor');
      return cursor
        ? { status: 200, body: { data: [delivery('dlv_2', 'dead', 9, 500)], next_cursor: null } }
        : { status: 200, body: { data: [delivery('dlv_1', 'dead', 9, 500)], next_cursor: 'c2' } };
    };
    const { code, stdout } = await runBin(
      ['deliveries', 'list', '--status', 'dead', '--endpoint', 'wh_1', '--limit', '1', '--all', '--json'],
      { env: env() },
    );
    expect(code).toBe(0);
    expect(seen.map((s) => s.url)).toEqual([
      '/deliveries?status=dead&endpoint_id=wh_1&limit=1',
      '/deliveries?status=dead&endpoint_id=wh_1&limit=1&cursor=c2',
    ]);
    expect(JSON.parse(stdout).data.map((d: { id: string }) => d.id)).toEqual(['dlv_1', 'dlv_2']);
  });

  it('deliveries list passes the creation-time window', async () => {
    routes['GET /deliveries'] = () => ({ status: 200, body: { data: [], next_cursor: null } });
    const { code } = await runBin(
      [
        'deliveries',
        'list',
        '--status',
        'dead',
        '--since',
        '2025-01-13T00:00:00Z',
        '--until',
        '2025-01-14T00:00:00Z',
      ],
      { env: env() },
    );
    expect(code).toBe(0);
    expect(seen.map((s) => s.url)).toEqual([
      '/deliveries?status=dead&since=2025-01-13T00%3A00%3A00.000Z&until=2025-01-14T00%3A00%3A00.000Z',
    ]);
  });

  it('prints a table and how to get the next page', async () => {
    routes['GET /webhook-endpoints'] = () => ({
      status: 200,
      body: { data: [endpoint], next_cursor: 'abc' },
    });
    const { code, stdout } = await runBin(['endpoints', 'list'], { env: env() });
    expect(code).toBe(0);
    expect(stdout).toBe(
      [
        'ID    STATUS   TENANT   EVENTS     URL',
        'wh_1  enabled  default  invoice.*  http://127.0.0.1:4000/hooks',
        '',
        'More: acme-webhooks endpoints list --cursor abc  (or --all)',
        '',
      ].join('\n'),
    );
  });

  it('every list command names itself in the next-page hint; --all leaves none', async () => {
    routes['GET /deliveries'] = (req) =>
      new URL(req.url, base).searchParams.get('cursor')
        ? { status: 200, body: { data: [delivery('dlv_2', 'dead', 9, 500)], next_cursor: null } }
        : { status: 200, body: { data: [delivery('dlv_1', 'dead', 9, 500)], next_cursor: 'c2' } };
    routes['GET /events'] = () => ({ status: 200, body: { data: [], next_cursor: 'e2' } });
    const deliveries = await runBin(['deliveries', 'list', '--status', 'dead'], { env: env() });
    expect(deliveries.code).toBe(0);
    expect(deliveries.stdout).toContain('dlv_1');
    expect(
      deliveries.stdout.endsWith(
        '\nMore: acme-webhooks deliveries list --status dead --cursor c2  (or --all)\n',
      ),
    ).toBe(true);
    const events = await runBin(['events', 'list'], { env: env() });
    expect(events.code).toBe(0);
    expect(events.stdout).toBe('No events.\n\nMore: acme-webhooks events list --cursor e2  (or --all)\n');
    const all = await runBin(['deliveries', 'list', '--all'], { env: env() });
    expect(all.code).toBe(0);
    expect(all.stdout).toMatch(/dlv_1[^\n]*\n[^\n]*dlv_2/);
    expect(all.stdout).not.toContain('More:');
  });

  it('the next-page hint repeats the filters, --limit and --url, never the API key, and lists the next page', async () => {
    routes['GET /deliveries'] = (req) =>
      new URL(req.url, base).searchParams.get('cursor')
        ? { status: 200, body: { data: [delivery('dlv_2', 'succeeded', 1, 200)], next_cursor: null } }
        : { status: 200, body: { data: [delivery('dlv_1', 'succeeded', 1, 200)], next_cursor: 'c2' } };
    const first = await runBin(
      [
        'deliveries',
        'list',
        '--status',
        'succeeded',
        '--since',
        '2h',
        '--limit',
        '1',
        '--url',
        base,
        '--api-key',
        KEY,
      ],
      { env: {} },
    );
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).not.toContain(KEY);
    const since = new URL(seen[0]?.url ?? '', base).searchParams.get('since');
    const hint = first.stdout.trimEnd().split('\n').at(-1);
    // --since 2h is repeated as the time it meant, so the next page covers the same window.
    expect(hint).toBe(
      `More: acme-webhooks deliveries list --status succeeded --since ${since} --limit 1 --url ${base} --api-key … --cursor c2  (or --all)`,
    );

    // Following the hint (the key put back in place of …) asks for the same deliveries, page 2.
    const next = (hint ?? '').replace(/^More: acme-webhooks /, '').replace(/ {2}\(or --all\)$/, '');
    const second = await runBin(next.replace('…', KEY).split(' '), { env: {} });
    expect(second.code, second.stderr).toBe(0);
    expect(seen[1]?.url).toBe(
      `/deliveries?status=succeeded&since=${encodeURIComponent(since ?? '')}&limit=1&cursor=c2`,
    );
    expect(second.stdout).toContain('dlv_2');
    expect(second.stdout).not.toContain('More:');
  });

  it('the next-page hint of events list keeps --type, quoted for the shell when it needs it', async () => {
    routes['GET /events'] = () => ({ status: 200, body: { data: [], next_cursor: 'e2' } });
    const { code, stdout } = await runBin(['events', 'list', '--type', "it's.paid", '--tenant', 'acme'], {
      env: env(),
    });
    expect(code).toBe(0);
    expect(stdout).toBe(
      "No events.\n\nMore: acme-webhooks events list --type 'it'\\''s.paid' --tenant acme --cursor e2  (or --all)\n",
    );
    expect(seen[0]?.url).toBe('/events?type=it%27s.paid&tenant_id=acme');
  });

  it('replay endpoint sends the window, types and dry_run', async () => {
    routes['POST /webhook-endpoints/wh_1/replay'] = () => ({
      status: 202,
      body: { id: 'rpl_1', status: 'completed', matched: 3, enqueued: 0 },
    });
    const { code, stdout } = await runBin(
      ['replay', 'endpoint', 'wh_1', '--since', '2025-01-13T00:00:00Z', '--types', 'invoice.*', '--dry-run'],
      { env: env() },
    );
    expect(code).toBe(0);
    expect(seen[0]?.body).toEqual({ since: '2025-01-13T00:00:00.000Z', types: ['invoice.*'], dry_run: true });
    expect(stdout).toBe('Replay rpl_1: completed; 3 event(s) matched, 0 would enqueue\n');
  });

  it('replay endpoint refuses a bad --wait-timeout before it starts the replay', async () => {
    routes['POST /webhook-endpoints/wh_1/replay'] = () => ({
      status: 202,
      body: { id: 'rpl_3', status: 'running', matched: 1, enqueued: 0 },
    });
    const { code, stdout, stderr } = await runBin(
      ['replay', 'endpoint', 'wh_1', '--since', '1h', '--wait', '--wait-timeout', 'soon'],
      { env: env() },
    );
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(expectOneLine(stderr)).toBe(
      'acme-webhooks: --wait-timeout must be a duration like 500ms, 30s, 5m, 2h or 7d, got "soon"',
    );
    expect(seen).toEqual([]);
  });

  it('replay endpoint --wait polls until the replay ends, and Ctrl-C stops the wait at once', async () => {
    let gets = 0;
    routes['POST /webhook-endpoints/wh_1/replay'] = () => ({
      status: 202,
      body: { id: 'rpl_2', status: 'running', matched: 2, enqueued: 0 },
    });
    routes['GET /replays/rpl_2'] = () => {
      gets += 1;
      return {
        status: 200,
        body: {
          id: 'rpl_2',
          status: gets < 2 ? 'running' : 'completed',
          matched: 2,
          enqueued: gets < 2 ? 1 : 2,
        },
      };
    };
    const done = await runBin(['replay', 'endpoint', 'wh_1', '--since', '1h', '--wait'], { env: env() });
    expect(done.code).toBe(0);
    expect(gets).toBe(2);
    expect(done.stdout).toBe('Replay rpl_2: completed; 2 event(s) matched, 2 enqueued\n');

    routes['GET /replays/rpl_2'] = () => ({
      status: 200,
      body: { id: 'rpl_2', status: 'running', matched: 2, enqueued: 1 },
    });
    const controller = new AbortController();
    let err = '';
    const started = Date.now();
    const waiting = run(['replay', 'endpoint', 'wh_1', '--since', '1h', '--wait'], {
      env: env(),
      stdout: { write: () => true },
      stderr: { write: (s: string) => (err += s) },
      signal: controller.signal,
    });
    setTimeout(() => controller.abort(), 50);
    expect(await waiting).toBe(130);
    expect(err).toBe('acme-webhooks: interrupted\n');
    expect(Date.now() - started).toBeLessThan(400);
  });

  it('deliveries attempts and events get --deliveries show every page, not only the first', async () => {
    const attempt = (n: number) => ({
      id: `att_${n}`,
      delivery_id: 'dlv_1',
      attempt_number: n,
      trigger: 'scheduled',
      started_at: '2025-01-13T12:35:00.000Z',
      duration_ms: 12,
      request: { url: 'http://127.0.0.1:4000/hooks', headers: {} },
      response: { status: 500, headers: {}, body: '', body_truncated: false },
      error: null,
    });
    const pages =
      <T>(first: T, second: T) =>
      (req: Seen) =>
        new URL(req.url, base).searchParams.get('cursor') === 'next'
          ? { status: 200, body: { data: [second], next_cursor: null } }
          : { status: 200, body: { data: [first], next_cursor: 'next' } };
    routes['GET /deliveries/dlv_1/attempts'] = pages(attempt(1), attempt(2));
    routes['GET /events/evt_1'] = () => ({
      status: 200,
      body: {
        id: 'evt_1',
        type: 'invoice.paid',
        tenant_id: 'default',
        created_at: '2025-01-13T12:35:00.000Z',
        data: {},
      },
    });
    routes['GET /events/evt_1/deliveries'] = pages(delivery('dlv_a', 'succeeded'), delivery('dlv_b', 'dead'));

    const attempts = await runBin(['deliveries', 'attempts', 'dlv_1', '--json'], { env: env() });
    expect(attempts.code).toBe(0);
    expect(JSON.parse(attempts.stdout).data.map((a: { id: string }) => a.id)).toEqual(['att_1', 'att_2']);

    const event = await runBin(['events', 'get', 'evt_1', '--deliveries', '--json'], { env: env() });
    expect(event.code).toBe(0);
    expect(JSON.parse(event.stdout).deliveries.map((d: { id: string }) => d.id)).toEqual(['dlv_a', 'dlv_b']);
  });

  it('deliveries retry exits 1 when its attempt failed, 0 when it succeeded', async () => {
    routes['GET /deliveries/dlv_1'] = () => ({ status: 200, body: delivery('dlv_1', 'dead', 3, 500) });
    routes['POST /deliveries/dlv_1/retry'] = () => ({ status: 202, body: delivery('dlv_1', 'dead', 4, 503) });
    const failed = await runBin(['deliveries', 'retry', 'dlv_1'], { env: env() });
    expect(failed.code).toBe(1);
    expect(failed.stdout).toBe(
      'Attempt 4 of dlv_1: 503; status now dead.\nAll attempts: acme-webhooks deliveries attempts dlv_1\n',
    );
    expect(expectOneLine(failed.stderr)).toBe('acme-webhooks: the retry of dlv_1 failed: 503');
    const asJson = await runBin(['deliveries', 'retry', 'dlv_1', '--json'], { env: env() });
    expect(asJson.code).toBe(1);
    expect(JSON.parse(asJson.stdout)).toMatchObject({ id: 'dlv_1', status: 'dead', attempts: 4 });

    routes['POST /deliveries/dlv_1/retry'] = () => ({
      status: 202,
      body: delivery('dlv_1', 'succeeded', 4, 200),
    });
    const succeeded = await runBin(['deliveries', 'retry', 'dlv_1'], { env: env() });
    expect(succeeded).toMatchObject({ code: 0, stderr: '' });
    expect(succeeded.stdout).toMatch(/^Attempt 4 of dlv_1: 200; status now succeeded\.\n/);
  });

  it('deliveries retry of a delivery whose attempt is under way says so and exits 0', async () => {
    routes['GET /deliveries/dlv_1'] = () => ({ status: 200, body: delivery('dlv_1', 'retrying', 1, 500) });
    routes['POST /deliveries/dlv_1/retry'] = () => ({
      status: 202,
      body: delivery('dlv_1', 'retrying', 1, 500),
    });
    const { code, stdout, stderr } = await runBin(['deliveries', 'retry', 'dlv_1'], { env: env() });
    expect(code).toBe(0);
    expect(stderr).toBe('');
    expect(stdout).toMatch(/^An attempt of dlv_1 was already under way; the delivery is due again now/);
  });

  it('replay get shows since and until like every other time', async () => {
    routes['GET /replays/rpl_1'] = () => ({
      status: 200,
      body: {
        id: 'rpl_1',
        status: 'completed',
        since: '2026-11-27T08:07:28.123Z',
        until: '2026-11-27T09:07:28.456Z',
        matched: 1,
        enqueued: 1,
        created_at: '2026-11-27T09:07:28.789Z',
      },
    });
    const { code, stdout } = await runBin(['replay', 'get', 'rpl_1'], { env: env() });
    expect(code).toBe(0);
    expect(stdout).toContain('since       2026-11-27 08:07:28Z\n');
    expect(stdout).toContain('until       2026-11-27 09:07:28Z\n');
    expect(stdout).toContain('created_at  2026-11-27 09:07:28Z\n');
  });

  it('endpoints test names a failed attempt once: code, message, duration', async () => {
    routes['POST /webhook-endpoints/wh_1/test'] = () => ({
      status: 200,
      body: {
        delivery: { ...delivery('dlv_t', 'dead', 1), last_error: 'timeout', trigger: 'test' },
        attempt: {
          id: 'att_1',
          delivery_id: 'dlv_t',
          attempt_number: 1,
          trigger: 'manual',
          started_at: '2026-11-27T09:07:28.000Z',
          duration_ms: 15001,
          request: { url: 'http://127.0.0.1:4000/hooks', headers: {} },
          response: null,
          error: { code: 'timeout', message: 'ERR_ATTEMPT_TIMEOUT: no complete response within 15000 ms' },
        },
      },
    });
    const { code, stdout, stderr } = await runBin(['endpoints', 'test', 'wh_1'], { env: env() });
    expect(code).toBe(1);
    expect(stdout).toBe(
      'Test delivery dlv_t to wh_1: dead (timeout: no complete response within 15000 ms, 15001 ms)\n',
    );
    expect(expectOneLine(stderr)).toBe('acme-webhooks: the test delivery to wh_1 failed: timeout');
  });

  it('--url and --api-key flags override the environment', async () => {
    routes['GET /deliveries/dlv_1'] = () => ({ status: 200, body: delivery('dlv_1', 'succeeded', 1, 200) });
    const { code } = await runBin(['deliveries', 'get', 'dlv_1', '--url', base, '--api-key', KEY], {
      env: { ACME_WEBHOOKS_URL: 'http://127.0.0.1:9', ACME_WEBHOOKS_API_KEY: 'wrong' },
    });
    expect(code).toBe(0);
  });
});

describe('failures are one line', () => {
  it('a 400 problem shows the detail and every field error', async () => {
    routes['POST /webhook-endpoints'] = () => ({
      status: 400,
      type: 'application/problem+json',
      body: {
        type: 'about:blank',
        title: 'Bad Request',
        status: 400,
        detail: 'The request body is invalid.',
        errors: [
          { field: 'url', message: 'must be an http(s) URL' },
          { field: 'events', message: 'must not be empty' },
        ],
      },
    });
    const { code, stderr } = await runBin(['endpoints', 'create', 'nope', '--events', ','], { env: env() });
    expect(code).toBe(1);
    expect(expectOneLine(stderr)).toBe(
      'acme-webhooks: invalid request (400 Bad Request): The request body is invalid; url: must be an http(s) URL; events: must not be empty',
    );
  });

  it('a bad key names ACME_WEBHOOKS_API_KEY; a missing one says so', async () => {
    const bad = await runBin(['endpoints', 'list'], {
      env: { ACME_WEBHOOKS_URL: base, ACME_WEBHOOKS_API_KEY: 'nope' },
    });
    expect(bad.code).toBe(1);
    expect(expectOneLine(bad.stderr)).toBe(
      `acme-webhooks: the API key was rejected by ${base} (401): check ACME_WEBHOOKS_API_KEY or --api-key`,
    );
    const missing = await runBin(['endpoints', 'list'], { env: { ACME_WEBHOOKS_URL: base } });
    expect(expectOneLine(missing.stderr)).toContain('no API key given');
    expect(missing.stderr).toContain('ACME_WEBHOOKS_API_KEY');
  });

  it('a 404 and a 409 show status, title and detail', async () => {
    routes['GET /deliveries/dlv_9'] = () => ({ status: 200, body: delivery('dlv_9', 'succeeded', 1, 200) });
    routes['POST /deliveries/dlv_9/retry'] = () => ({
      status: 409,
      type: 'application/problem+json',
      body: { title: 'Conflict', status: 409, detail: 'delivery dlv_9 already succeeded' },
    });
    const conflict = await runBin(['deliveries', 'retry', 'dlv_9'], { env: env() });
    expect(conflict.code).toBe(1);
    expect(expectOneLine(conflict.stderr)).toBe(
      'acme-webhooks: 409 Conflict: delivery dlv_9 already succeeded',
    );
    const missing = await runBin(['events', 'get', 'evt_nope'], { env: env() });
    expect(expectOneLine(missing.stderr)).toBe('acme-webhooks: 404 Not Found: no /events/evt_nope');
  });

  it('a server that is down is named by its URL', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(closed.address() as AddressInfo).port}`;
    await new Promise((resolve) => closed.close(resolve));
    const { code, stdout, stderr } = await runBin(['events', 'list'], {
      env: { ACME_WEBHOOKS_URL: url, ACME_WEBHOOKS_API_KEY: KEY },
    });
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(expectOneLine(stderr)).toBe(
      `acme-webhooks: cannot reach the Acme Webhooks server at ${url} (connection refused); is it running? Set ACME_WEBHOOKS_URL or --url`,
    );
  });

  it('an answer that is not the API is reported, not parsed', async () => {
    routes['GET /events'] = () => ({ status: 200, body: '<html>hello</html>', type: 'text/html' });
    const { code, stderr } = await runBin(['events', 'list'], { env: env() });
    expect(code).toBe(1);
    expect(expectOneLine(stderr)).toContain('not JSON');
  });

  it('a JSON answer that is not shaped like the API is one line naming the URL', async () => {
    routes['GET /deliveries'] = () => ({ status: 200, body: { hello: 'world' } });
    routes['GET /deliveries/dlv_1'] = () => ({ status: 200, body: [] });
    const list = await runBin(['deliveries', 'list'], { env: env() });
    expect(list.code).toBe(1);
    expect(expectOneLine(list.stderr)).toBe(
      `acme-webhooks: ${base}/deliveries did not answer like an Acme Webhooks server (no "data" list); check ACME_WEBHOOKS_URL or --url`,
    );
    const tail = await runBin(['tail', '--timeout', '1s'], { env: env() });
    expect(tail.code).toBe(1);
    expect(expectOneLine(tail.stderr)).toContain('(no "data" list)');
    const one = await runBin(['deliveries', 'get', 'dlv_1'], { env: env() });
    expect(one.code).toBe(1);
    expect(expectOneLine(one.stderr)).toBe(
      `acme-webhooks: ${base}/deliveries/dlv_1 did not answer like an Acme Webhooks server (no "id"); check ACME_WEBHOOKS_URL or --url`,
    );
  });

  it('a bad server URL is one line', async () => {
    const { code, stderr } = await runBin(['events', 'list'], {
      env: { ACME_WEBHOOKS_URL: 'localhost:3000' },
    });
    expect(code).toBe(1);
    expect(expectOneLine(stderr)).toContain('invalid server URL');
  });
});

describe('tail', () => {
  it('prints new deliveries and status transitions, then exits after --count', async () => {
    let polls = 0;
    routes['GET /deliveries'] = () => {
      polls += 1;
      // Poll 1 is the baseline (dlv_old is not printed); then dlv_a appears and moves on.
      const pages = [
        [delivery('dlv_old', 'succeeded', 1, 200)],
        [delivery('dlv_a', 'pending'), delivery('dlv_old', 'succeeded', 1, 200)],
        [delivery('dlv_a', 'retrying', 1, 500), delivery('dlv_old', 'succeeded', 1, 200)],
        [delivery('dlv_a', 'succeeded', 2, 200), delivery('dlv_old', 'succeeded', 1, 200)],
      ];
      return { status: 200, body: { data: pages[Math.min(polls - 1, pages.length - 1)], next_cursor: null } };
    };
    const { code, stdout, stderr } = await runBin(
      ['tail', '--interval', '100ms', '--count', '3', '--timeout', '5s'],
      {
        env: env(),
      },
    );
    expect(code).toBe(0);
    expect(stderr).toBe(`Tailing deliveries on ${base} (Ctrl-C to stop)…\n`);
    const lines = stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/dlv_a {2}pending {4}\(new\) {2}attempts=0 last=- /);
    expect(lines[1]).toMatch(/dlv_a {2}retrying {3}\(was pending\) {2}attempts=1 last=500 /);
    expect(lines[2]).toMatch(/dlv_a {2}succeeded {2}\(was retrying\) {2}attempts=2 last=200 /);
  });

  it('--json prints one JSON object per line; --timeout short of --count exits 1', async () => {
    let polls = 0;
    routes['GET /deliveries'] = () => {
      polls += 1;
      return {
        status: 200,
        body: { data: polls > 1 ? [delivery('dlv_b', 'dead', 9, 500)] : [], next_cursor: null },
      };
    };
    const { code, stdout, stderr } = await runBin(
      ['tail', '--interval', '100ms', '--count', '2', '--timeout', '1s', '--json'],
      { env: env() },
    );
    expect(code).toBe(1);
    expect(JSON.parse(stdout)).toMatchObject({
      change: 'new',
      previous_status: null,
      delivery: { id: 'dlv_b' },
    });
    expect(stderr.trimEnd().split('\n').at(-1)).toBe(
      'acme-webhooks: tail stopped after --timeout with 1 of 2 update(s)',
    );
  });

  it('reads further pages while a poll finds only new deliveries (a burst bigger than a page)', async () => {
    let polls = 0;
    routes['GET /deliveries'] = (req) => {
      const cursor = new URL(req.url, base).searchParams.get('cursor');
      if (cursor === 'p2') {
        return {
          status: 200,
          body: {
            data: [delivery('dlv_a', 'pending'), delivery('dlv_old', 'succeeded', 1, 200)],
            next_cursor: null,
          },
        };
      }
      polls += 1;
      return polls === 1
        ? { status: 200, body: { data: [delivery('dlv_old', 'succeeded', 1, 200)], next_cursor: null } }
        : {
            status: 200,
            body: { data: [delivery('dlv_c', 'pending'), delivery('dlv_b', 'pending')], next_cursor: 'p2' },
          };
    };
    const { code, stdout } = await runBin(
      ['tail', '--interval', '100ms', '--count', '3', '--timeout', '5s'],
      {
        env: env(),
      },
    );
    expect(code).toBe(0);
    expect(stdout.match(/dlv_\w+/g)).toEqual(['dlv_a', 'dlv_b', 'dlv_c']);
    expect(seen.some((s) => s.url.includes('cursor=p2'))).toBe(true);
  });

  it('stops cleanly with exit 0 when interrupted (in-process run with an AbortSignal)', async () => {
    routes['GET /deliveries'] = () => ({ status: 200, body: { data: [], next_cursor: null } });
    const controller = new AbortController();
    let out = '';
    let err = '';
    const running = run(['tail', '--interval', '100ms'], {
      env: env(),
      stdout: { write: (s: string) => (out += s) },
      stderr: { write: (s: string) => (err += s) },
      signal: controller.signal,
    });
    setTimeout(() => controller.abort(), 300);
    expect(await running).toBe(0);
    expect(out).toBe('');
    expect(err).toContain('Tailing deliveries');
  });
});

describe('run() in-process', () => {
  it('signs stdin and verifies it, with exit codes and no process side effects', async () => {
    const secret = 'whsec_YWNtZS12ZWN0b3Itc2VjcmV0LUEtMDEyMzQ1Njc4OWFi';
    const body = Buffer.from('{"id":"evt_in","type":"t.x","data":{}}');
    let out = '';
    const signed = await run(['sign', '--secret', secret, '--json'], {
      env: {},
      stdin: [body],
      stdout: { write: (s: string) => (out += s) },
    });
    expect(signed).toBe(0);
    const headers = JSON.parse(out) as Record<string, string>;
    const flags = Object.entries(headers).flatMap(([name, value]) => ['-H', `${name}: ${value}`]);

    let verified = '';
    expect(
      await run(['verify', '--secret', secret, ...flags], {
        env: {},
        stdin: [body],
        stdout: { write: (s: string) => (verified += s) },
      }),
    ).toBe(0);
    expect(verified).toBe('valid: signature verified for evt_in (t.x)\n');

    let err = '';
    const code = await run(['verify', '--secret', secret, ...flags], {
      env: {},
      stdin: [Buffer.from('tampered')],
      stdout: { write: () => undefined },
      stderr: { write: (s: string) => (err += s) },
    });
    expect(code).toBe(1);
    expect(err).toMatch(/^acme-webhooks: invalid: signature_mismatch: /);
  });
});

import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { call, type JsonResponse } from '../support/http';
import { describeEachDatabase, startServer, type TestServer } from '../support/server';

describeEachDatabase('HTTP errors as problem+json', (db) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({
      database: db,
      env: { WEBHOOKS_ROLE: 'api', WEBHOOKS_MAX_PAYLOAD_BYTES: '2048' },
    });
  });
  afterAll(() => server?.close());

  function expectProblem(response: JsonResponse, status: number): void {
    expect(response.status).toBe(status);
    expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(Object.keys(response.body).sort()).toEqual(['detail', 'errors', 'status', 'title', 'type']);
    expect(response.body.status).toBe(status);
    expect(JSON.stringify(response.body)).not.toMatch(/node_modules|\.ts:\d+|at [A-Z]\w+\./);
  }

  it('malformed JSON → 400', async () => {
    const response = await call(server, 'POST', '/events', { rawBody: '{"type":"a",' });
    expectProblem(response, 400);
    expect(response.body.detail).toMatch(/not valid JSON/);
  });

  it('non-JSON content type on a write → 415', async () => {
    for (const contentType of ['text/plain', 'application/x-www-form-urlencoded', 'application/xml']) {
      const response = await call(server, 'POST', '/webhook-endpoints', {
        rawBody: 'url=https://example.com',
        headers: { 'content-type': contentType },
      });
      expectProblem(response, 415);
    }
    const patch = await call(server, 'PATCH', '/webhook-endpoints/wh_01JH2Y4S8M1V8X9Q2W3E4R5T6Y', {
      rawBody: 'x',
      headers: { 'content-type': 'text/plain' },
    });
    expectProblem(patch, 415);
  });

  it('a JSON content type with a charset is fine', async () => {
    const response = await call(server, 'POST', '/events', {
      rawBody: JSON.stringify({ type: 'charset.ok', data: {} }),
      headers: { 'content-type': 'application/json; charset=utf-8' },
    });
    expect(response.status).toBe(202);
  });

  it('a body over WEBHOOKS_MAX_PAYLOAD_BYTES → 413, and nothing is stored', async () => {
    const response = await call(server, 'POST', '/events', {
      body: { type: 'too.big', data: { blob: 'x'.repeat(4096) } },
    });
    expectProblem(response, 413);
    const [row] = await server.dataSource.query(`SELECT COUNT(*) AS n FROM events WHERE type = 'too.big'`);
    expect(Number(row.n)).toBe(0);
    const fits = await call(server, 'POST', '/events', {
      body: { type: 'fits', data: { blob: 'x'.repeat(1500) } },
    });
    expect(fits.status).toBe(202);
  });

  it('gzip, deflate and br bodies are inflated; the size limit counts inflated bytes; other encodings and charsets → 415', async () => {
    const post = (body: Buffer, headers: Record<string, string>) =>
      fetch(`${server.url}/events`, {
        method: 'POST',
        headers: { authorization: `Bearer ${server.apiKey}`, 'content-type': 'application/json', ...headers },
        body,
      });
    const json = (type: string, data: object = { n: 1 }) => Buffer.from(JSON.stringify({ type, data }));
    for (const [encoding, compress] of [
      ['gzip', gzipSync],
      ['deflate', deflateSync],
      ['br', brotliCompressSync],
    ] as const) {
      const response = await post(compress(json(`inflated.${encoding}`, { encoding })), {
        'content-encoding': encoding,
      });
      expect(response.status, encoding).toBe(202);
      const event = (await response.json()) as { id: string };
      expect((await call(server, 'GET', `/events/${event.id}`)).body.data).toEqual({ encoding });
    }
    // 6 KiB of JSON compresses to a few dozen bytes: still over the 2 KiB limit once inflated.
    const bomb = await post(gzipSync(json('inflated.bomb', { blob: 'x'.repeat(6000) })), {
      'content-encoding': 'gzip',
    });
    expect(bomb.status).toBe(413);
    expect(bomb.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    const [row] = await server.dataSource.query(
      `SELECT COUNT(*) AS n FROM events WHERE type = 'inflated.bomb'`,
    );
    expect(Number(row.n)).toBe(0);
    // Each 415 says what was wrong: the encoding, or the charset.
    const zstd = await post(json('zstd.body'), { 'content-encoding': 'x-unknown' });
    expect(zstd.status).toBe(415);
    expect(((await zstd.json()) as { detail: string }).detail).toMatch(
      /Content-Encoding gzip, deflate or br/,
    );
    const latin = await post(json('latin.body'), { 'content-type': 'application/json; charset=latin1' });
    expect(latin.status).toBe(415);
    expect(((await latin.json()) as { detail: string }).detail).toBe('The request body must be UTF-8 JSON.');
  });

  it('unknown route → 404; a body on an unknown field → 400', async () => {
    expectProblem(await call(server, 'GET', '/nope'), 404);
    expectProblem(await call(server, 'GET', '/nope', { key: null }), 404);
    expectProblem(await call(server, 'DELETE', '/events'), 404);
    const unknown = await call(server, 'POST', '/events', {
      body: { type: 'a', data: {}, priority: 'high' },
    });
    expectProblem(unknown, 400);
    expect(unknown.body.errors).toEqual([{ field: 'priority', message: expect.any(String) }]);
  });

  it('sets nosniff on every response', async () => {
    for (const path of ['/healthz', '/webhook-endpoints', '/nope']) {
      const response = await fetch(`${server.url}${path}`, {
        headers: { authorization: `Bearer ${server.apiKey}` },
      });
      expect(response.headers.get('x-content-type-options'), path).toBe('nosniff');
      expect(response.headers.get('x-powered-by')).toBeNull();
    }
  });

  it('/readyz answers 503 when the database is gone, /healthz still 200', async () => {
    const other = await startServer({ database: db, env: { WEBHOOKS_ROLE: 'api' } });
    try {
      await other.dataSource.destroy();
      expectProblem(await call(other, 'GET', '/readyz', { key: null }), 503);
      expect((await call(other, 'GET', '/healthz', { key: null })).status).toBe(200);
    } finally {
      await other.close();
    }
  });
});

describeEachDatabase('roles', (db) => {
  it('a worker serves /healthz and /readyz but no API routes and no docs', async () => {
    const worker = await startServer({ database: db, env: { WEBHOOKS_ROLE: 'worker' } });
    try {
      expect((await call(worker, 'GET', '/healthz', { key: null })).status).toBe(200);
      expect((await call(worker, 'GET', '/readyz', { key: null })).status).toBe(200);
      expect((await call(worker, 'GET', '/webhook-endpoints')).status).toBe(404);
      expect((await call(worker, 'POST', '/events', { body: { type: 'a', data: {} } })).status).toBe(404);
      expect((await call(worker, 'GET', '/openapi.json', { key: null })).status).toBe(404);
    } finally {
      await worker.close();
    }
  });

  it('an api process serves the API and /healthz', async () => {
    const api = await startServer({ database: db, env: { WEBHOOKS_ROLE: 'api' } });
    try {
      expect((await call(api, 'GET', '/healthz', { key: null })).status).toBe(200);
      expect((await call(api, 'GET', '/webhook-endpoints')).status).toBe(200);
    } finally {
      await api.close();
    }
  });
});

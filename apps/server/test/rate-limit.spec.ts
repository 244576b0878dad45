import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call } from './support/http';
import { startServer, type TestServer } from './support/server';

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

describe('API rate limit per key (WEBHOOKS_API_RATE_LIMIT)', () => {
  let server: TestServer;
  let alphaKey: string;
  let betaKey: string;
  beforeAll(async () => {
    // 5 requests per second per key, burst 10. Role `all`, so /metrics is served too.
    server = await startServer({ env: { WEBHOOKS_API_RATE_LIMIT: '5' } });
    alphaKey = (await call(server, 'POST', '/api-keys', { body: { tenant_id: 'alpha', name: 'a' } })).body
      .key;
    betaKey = (await call(server, 'POST', '/api-keys', { body: { tenant_id: 'beta', name: 'b' } })).body.key;
  });
  afterAll(() => server?.close());

  it('a key over its budget gets 429 problem+json with Retry-After; other keys and health are unaffected; it recovers', async () => {
    // The burst (10) goes through at once; a slow machine may see a token or two refill meanwhile.
    const statuses: number[] = [];
    while (statuses.length < 30 && !statuses.includes(429)) {
      statuses.push((await call(server, 'GET', '/events', { key: alphaKey })).status);
    }
    expect(statuses.slice(0, 10)).toEqual(Array(10).fill(200));
    expect(statuses).toContain(429);

    const limited = await call(server, 'POST', '/events', {
      key: alphaKey,
      body: { type: 'too.many', data: {} },
    });
    expect(limited.status).toBe(429);
    expect(limited.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(limited.body).toMatchObject({ status: 429, type: 'urn:acme-webhooks:problem:rate-limited' });
    const retryAfter = Number(limited.headers.get('retry-after'));
    expect(Number.isInteger(retryAfter) && retryAfter >= 1).toBe(true);
    // A refused request stores nothing.
    const [row] = await server.dataSource.query(`SELECT COUNT(*) AS n FROM events WHERE type = 'too.many'`);
    expect(Number(row.n)).toBe(0);

    // Another key has its own bucket; so has the admin key.
    expect((await call(server, 'GET', '/events', { key: betaKey })).status).toBe(200);
    expect((await call(server, 'GET', '/events')).status).toBe(200);
    // Health, readiness and metrics are never limited.
    for (let i = 0; i < 30; i++) {
      for (const path of ['/healthz', '/readyz', '/metrics']) {
        expect((await call(server, 'GET', path, { key: alphaKey })).status, path).toBe(200);
      }
    }

    await sleep(retryAfter * 1000);
    expect((await call(server, 'GET', '/events', { key: alphaKey })).status).toBe(200);
  });

  it('0 or off disables the limit', async () => {
    const unlimited = await startServer({ env: { WEBHOOKS_API_RATE_LIMIT: 'off', WEBHOOKS_ROLE: 'api' } });
    try {
      const responses = await Promise.all(
        Array.from({ length: 300 }, () =>
          call(unlimited, 'GET', '/healthz').then(() => call(unlimited, 'GET', '/events')),
        ),
      );
      expect(responses.every((response) => response.status === 200)).toBe(true);
    } finally {
      await unlimited.close();
    }
  });
});

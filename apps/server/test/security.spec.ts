import { randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import { verify, WebhookVerificationError } from '@acme/webhook-verify';
import type { LoggerService } from '@nestjs/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encryptionKeyId, SecretBox } from '../src/common/secret-box';
import { SECURITY_HEADERS } from '../src/common/security-headers';
import { isSqlite } from '../src/database/data-source';
import { resealEndpointSecrets } from '../src/endpoints/reseal-secrets';
import { type ReceivedRequest, TestReceiver } from './support/dispatch-receiver';
import { call, errorFields } from './support/http';
import { describeEachDatabase, startServer, type TestServer } from './support/server';

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Every table the database holds: the entities' tables and whatever else is there (migrations…). */
async function allTables(server: TestServer): Promise<string[]> {
  const { dataSource } = server;
  const fromMetadata = dataSource.entityMetadatas.map((metadata) => metadata.tableName);
  const rows: Array<{ name: string }> = isSqlite(dataSource)
    ? await dataSource.query(`SELECT name FROM sqlite_master WHERE type = 'table'`)
    : await dataSource.query(
        'SELECT table_name AS name FROM information_schema.tables WHERE table_schema = DATABASE()',
      );
  return [...new Set([...fromMetadata, ...rows.map((row) => row.name)])].sort();
}

/** A row dump where binary columns read as text too, so nothing hides in a Buffer. */
function dump(rows: unknown[]): string {
  return JSON.stringify(rows, (_key, value: unknown) =>
    value && typeof value === 'object' && (value as { type?: string }).type === 'Buffer'
      ? Buffer.from((value as { data: number[] }).data).toString('latin1')
      : value,
  );
}

/** The spellings of a signing secret someone could copy out of a dump and sign with. */
function secretForms(secret: string): string[] {
  const base64 = secret.slice('whsec_'.length);
  const bytes = Buffer.from(base64, 'base64');
  return [secret, base64, base64.replace(/=+$/, ''), bytes.toString('base64url'), bytes.toString('hex')];
}

function apiKeyForms(key: string): string[] {
  return [key, key.replace(/^ak_/, '')];
}

function signatureCount(request: ReceivedRequest): number {
  return request.headers['x-webhook-signature']!.split(',').filter((part) => part.startsWith('v1=')).length;
}

/** The Standard Webhooks headers alone, so `verify` checks those instead of X-Webhook-Signature. */
function standardOnly(headers: Record<string, string>): Record<string, string> {
  const { 'x-webhook-signature': _ignored, ...rest } = headers;
  return rest;
}

describeEachDatabase('secrets at rest', (db) => {
  let server: TestServer;
  let receiver: TestReceiver;
  beforeAll(async () => {
    receiver = await TestReceiver.start();
    server = await startServer({ database: db, env: { WEBHOOKS_ALLOW_PRIVATE_TARGETS: 'true' } });
  });
  afterAll(async () => {
    await server?.close();
    await receiver?.close();
  });

  it('no table holds an endpoint secret or an API key in clear, after endpoints, a rotation and keys', async () => {
    const secrets: string[] = [];
    const apiKeys: string[] = [server.apiKey];
    for (const tenant of ['acme', 'globex']) {
      const key = await call(server, 'POST', '/api-keys', { body: { tenant_id: tenant, name: 'svc' } });
      expect(key.status).toBe(201);
      apiKeys.push(key.body.key);
      const as = { url: server.url, apiKey: key.body.key as string };
      const endpoint = await call(as, 'POST', '/webhook-endpoints', {
        body: {
          url: `${receiver.url}/${tenant}`,
          events: ['*'],
          headers: { 'X-Team': tenant },
          metadata: { owner: tenant },
        },
      });
      expect(endpoint.status).toBe(201);
      secrets.push(endpoint.body.secret);
      // A rotation with a grace period keeps the old secret (sealed) beside the new one.
      const rotated = await call(as, 'POST', `/webhook-endpoints/${endpoint.body.id}/rotate-secret`, {
        body: { grace_period_seconds: 3600 },
      });
      expect(rotated.status).toBe(200);
      secrets.push(rotated.body.secret);
      expect((await call(as, 'POST', '/events', { body: { type: 'a.b', data: { tenant } } })).status).toBe(
        202,
      );
      const revoked = await call(server, 'POST', '/api-keys', { body: { tenant_id: tenant, name: 'old' } });
      apiKeys.push(revoked.body.key);
      expect((await call(server, 'DELETE', `/api-keys/${revoked.body.id}`)).status).toBe(204);
    }
    // Deliveries went out (attempt rows with their request headers exist too).
    await receiver.waitFor(() => receiver.requests.length >= 2, 15_000, 'two deliveries');
    await sleep(100);

    const tables = await allTables(server);
    for (const table of [
      'api_keys',
      'attempts',
      'deliveries',
      'endpoints',
      'events',
      'idempotency_keys',
      'replays',
    ]) {
      expect(tables).toContain(table);
    }
    for (const table of tables) {
      const contents = dump(await server.dataSource.query(`SELECT * FROM ${table}`));
      for (const secret of secrets) {
        for (const form of secretForms(secret))
          expect(contents, `${table} holds a secret`).not.toContain(form);
      }
      for (const key of apiKeys) {
        for (const form of apiKeyForms(key))
          expect(contents, `${table} holds an API key`).not.toContain(form);
      }
      expect(contents, table).not.toMatch(/whsec_/);
    }
    const rows: Array<{
      secret_key_id: string;
      secret_ciphertext: string;
      previous_secret_ciphertext: string;
    }> = await server.dataSource.query('SELECT * FROM endpoints');
    for (const row of rows) {
      expect(row.secret_key_id).toBe(encryptionKeyId(server.config.encryptionKey!));
      expect(row.secret_ciphertext).toMatch(/^v1\./);
      expect(row.previous_secret_ciphertext).toMatch(/^v1\./);
    }
  });

  it('after a rotation both secrets sign until the grace period ends, then only the new one (checked with @acme/webhook-verify)', async () => {
    const created = await call(server, 'POST', '/webhook-endpoints', {
      body: { url: `${receiver.url}/rotation`, events: ['rotation.*'], tenant_id: 'rotation' },
    });
    const oldSecret: string = created.body.secret;
    const rotatedAt = Date.now();
    const rotated = await call(server, 'POST', `/webhook-endpoints/${created.body.id}/rotate-secret`, {
      body: { grace_period_seconds: 1 },
    });
    const newSecret: string = rotated.body.secret;
    expect(newSecret).not.toBe(oldSecret);

    await call(server, 'POST', '/events', {
      body: { type: 'rotation.during', data: {}, tenant_id: 'rotation' },
    });
    await receiver.waitFor(
      () => receiver.received('/rotation').length === 1,
      15_000,
      'the delivery during grace',
    );
    const during = receiver.received('/rotation')[0]!;
    expect(Date.now() - rotatedAt).toBeLessThan(1_000);
    expect(signatureCount(during)).toBe(2);
    expect(during.headers['webhook-signature']!.split(' ')).toHaveLength(2);
    for (const secret of [oldSecret, newSecret]) {
      expect(verify(during.body, during.headers, secret).type).toBe('rotation.during');
      expect(verify(during.body, standardOnly(during.headers), secret).type).toBe('rotation.during');
    }

    await sleep(Math.max(0, rotatedAt + 1_200 - Date.now()));
    await call(server, 'POST', '/events', {
      body: { type: 'rotation.after', data: {}, tenant_id: 'rotation' },
    });
    await receiver.waitFor(
      () => receiver.received('/rotation').length === 2,
      15_000,
      'the delivery after grace',
    );
    const after = receiver.received('/rotation')[1]!;
    expect(signatureCount(after)).toBe(1);
    expect(verify(after.body, after.headers, newSecret).type).toBe('rotation.after');
    expect(verify(after.body, standardOnly(after.headers), newSecret).type).toBe('rotation.after');
    for (const headers of [after.headers, standardOnly(after.headers)]) {
      let failure: unknown;
      try {
        verify(after.body, headers, oldSecret);
      } catch (error) {
        failure = error;
      }
      expect(failure).toBeInstanceOf(WebhookVerificationError);
      expect((failure as WebhookVerificationError).code).toBe('signature_mismatch');
    }
    expect((await call(server, 'GET', `/webhook-endpoints/${created.body.id}/secret`)).body.secret).toBe(
      newSecret,
    );
  });

  it('an encryption-key rotation: the previous key opens old secrets, re-sealing moves them to the new key', async () => {
    const created = await call(server, 'POST', '/webhook-endpoints', {
      body: { url: `${receiver.url}/reseal`, events: ['none.*'], tenant_id: 'reseal' },
    });
    const rotated = await call(server, 'POST', `/webhook-endpoints/${created.body.id}/rotate-secret`, {
      body: { grace_period_seconds: 3600 },
    });
    const oldKey = server.config.encryptionKey!.toString('base64');
    const newKey = randomBytes(32).toString('base64');
    const shared = { DATABASE_URL: server.config.databaseUrl, WEBHOOKS_ROLE: 'api' };
    const during = await startServer({
      env: { ...shared, WEBHOOKS_ENCRYPTION_KEY: newKey, WEBHOOKS_ENCRYPTION_KEY_PREVIOUS: oldKey },
    });
    try {
      const secret = await call(during, 'GET', `/webhook-endpoints/${created.body.id}/secret`);
      expect(secret.body.secret).toBe(rotated.body.secret);
      expect(await resealEndpointSecrets(during.dataSource, during.app.get(SecretBox))).toBeGreaterThan(0);
      expect(await resealEndpointSecrets(during.dataSource, during.app.get(SecretBox))).toBe(0);
    } finally {
      await during.close();
    }
    const rows: Array<{ secret_key_id: string }> = await server.dataSource.query(
      'SELECT secret_key_id FROM endpoints',
    );
    expect(new Set(rows.map((row) => row.secret_key_id))).toEqual(
      new Set([encryptionKeyId(Buffer.from(newKey, 'base64'))]),
    );
    const after = await startServer({ env: { ...shared, WEBHOOKS_ENCRYPTION_KEY: newKey } });
    try {
      const secret = await call(after, 'GET', `/webhook-endpoints/${created.body.id}/secret`);
      expect(secret.body.secret).toBe(rotated.body.secret);
      // The old secret, still in its grace period, was re-sealed too: it opens under the new key alone.
      const box = after.app.get(SecretBox);
      const [row] = await after.dataSource.query(
        `SELECT secret_key_id, previous_secret_ciphertext FROM endpoints WHERE id = '${created.body.id}'`,
      );
      expect(box.open({ keyId: row.secret_key_id, ciphertext: row.previous_secret_ciphertext })).toBe(
        created.body.secret,
      );
    } finally {
      await after.close();
    }
  });
});

describeEachDatabase('production rules for endpoint URLs', (db) => {
  let server: TestServer;
  let receiver: TestReceiver;
  beforeAll(async () => {
    receiver = await TestReceiver.start();
    // NODE_ENV=production: private targets refused by default, https only.
    server = await startServer({ database: db, env: { NODE_ENV: 'production', WEBHOOKS_ROLE: 'api' } });
  });
  afterAll(async () => {
    await server?.close();
    await receiver?.close();
  });

  it('refuses http:// and credentials in production', async () => {
    for (const [url, message] of [
      ['http://127.0.0.1:9/hook', /https/],
      ['https://user:pass@127.0.0.1:9/hook', /credentials/],
    ] as const) {
      const response = await call(server, 'POST', '/webhook-endpoints', { body: { url, events: ['*'] } });
      expect(response.status, url).toBe(400);
      expect(errorFields(response.body)).toEqual(['url']);
      expect(response.body.errors[0].message).toMatch(message);
    }
  });

  it('refuses loopback targets in every spelling, and stores nothing', async () => {
    const port = new URL(receiver.url).port;
    const hosts = [
      '127.0.0.1',
      'localhost',
      'LOCALHOST.',
      'app.localhost',
      '[::1]',
      '[::ffff:127.0.0.1]',
      '[::ffff:7f00:1]',
      '2130706433',
      '0x7f000001',
      '0177.0.0.1',
      '127.1',
      '0x7f.1',
      '127.0.0.1.',
      '[0:0:0:0:0:0:0:1]',
      '0.0.0.0',
    ];
    for (const host of hosts) {
      const url = `https://${host}:${port}/hook`;
      const response = await call(server, 'POST', '/webhook-endpoints', { body: { url, events: ['*'] } });
      expect(response.status, url).toBe(400);
      expect(errorFields(response.body), url).toEqual(['url']);
      expect(response.body.errors[0].message, url).toMatch(/non-public/);
    }
    const [row] = await server.dataSource.query('SELECT COUNT(*) AS n FROM endpoints');
    expect(Number(row.n)).toBe(0);
    expect(receiver.requests).toHaveLength(0);
  });

  it('a loopback endpoint registered elsewhere is blocked at delivery time (blocked_address), never contacted', async () => {
    // Registered through a development server on the same database (private targets allowed there)…
    const dev = await startServer({
      env: {
        DATABASE_URL: server.config.databaseUrl,
        WEBHOOKS_ENCRYPTION_KEY: server.config.encryptionKey!.toString('base64'),
        WEBHOOKS_ROLE: 'api',
      },
    });
    let endpointId: string;
    try {
      const created = await call(dev, 'POST', '/webhook-endpoints', {
        body: { url: `${receiver.url}/blocked`, events: ['*'], tenant_id: 'blocked' },
      });
      expect(created.status).toBe(201);
      endpointId = created.body.id;
    } finally {
      await dev.close();
    }
    // …then delivered by a production worker: the connect-time check refuses 127.0.0.1.
    const worker = await startServer({
      env: {
        DATABASE_URL: server.config.databaseUrl,
        WEBHOOKS_ENCRYPTION_KEY: server.config.encryptionKey!.toString('base64'),
        NODE_ENV: 'production',
        WEBHOOKS_ROLE: 'worker',
        WEBHOOKS_RETRY_SCHEDULE: 'none',
      },
    });
    try {
      const event = await call(server, 'POST', '/events', {
        body: { type: 'x.y', data: {}, tenant_id: 'blocked' },
      });
      expect(event.status).toBe(202);
      let delivery: { status: string; last_error: string | null; id: string } | undefined;
      const deadline = Date.now() + 15_000;
      while (Date.now() < deadline) {
        const list = await call(server, 'GET', `/deliveries?event_id=${event.body.id}`);
        delivery = list.body.data[0];
        if (delivery && delivery.status === 'dead') break;
        await sleep(50);
      }
      expect(delivery).toMatchObject({ status: 'dead', last_error: 'blocked_address' });
      const attempts = await call(server, 'GET', `/deliveries/${delivery!.id}/attempts`);
      expect(attempts.body.data[0].error.code).toBe('blocked_address');
      expect(attempts.body.data[0].response).toBeNull();
      expect(receiver.received('/blocked')).toHaveLength(0);
      expect(endpointId!).toMatch(/^wh_/);
    } finally {
      await worker.close();
    }
  });
});

describe('HTTP hygiene: security headers and logs', () => {
  const lines: string[] = [];
  const capture: LoggerService = {
    log: (message: unknown) => lines.push(String(message)),
    error: (message: unknown, ...rest: unknown[]) => lines.push([message, ...rest].map(String).join(' ')),
    warn: (message: unknown) => lines.push(String(message)),
    debug: (message: unknown) => lines.push(String(message)),
    verbose: (message: unknown) => lines.push(String(message)),
    fatal: (message: unknown) => lines.push(String(message)),
  };
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({ env: { WEBHOOKS_ROLE: 'api' }, logger: capture });
  });
  afterAll(() => server?.close());

  it('sets nosniff, frame deny and no x-powered-by on every API response, no-store on secrets and keys', async () => {
    const created = await call(server, 'POST', '/webhook-endpoints', {
      body: { url: 'http://127.0.0.1:9/hook', events: ['*'] },
    });
    const key = await call(server, 'POST', '/api-keys', { body: { tenant_id: 'hdr', name: 'x' } });
    const secretBearing = [
      created,
      key,
      await call(server, 'GET', `/webhook-endpoints/${created.body.id}/secret`),
      await call(server, 'POST', `/webhook-endpoints/${created.body.id}/rotate-secret`, { body: {} }),
    ];
    for (const response of secretBearing) {
      expect(response.status).toBeLessThan(300);
      expect(response.headers.get('cache-control')).toBe('no-store');
    }
    const others = [
      await call(server, 'GET', '/webhook-endpoints'),
      await call(server, 'GET', '/webhook-endpoints', { key: null }),
      await call(server, 'GET', '/nope'),
      await call(server, 'POST', '/events', { rawBody: '{' }),
      await call(server, 'GET', '/healthz', { key: null }),
    ];
    for (const response of [...secretBearing, ...others]) {
      expect(response.headers.get('x-content-type-options')).toBe('nosniff');
      expect(response.headers.get('x-frame-options')).toBe('DENY');
      expect(response.headers.get('x-powered-by')).toBeNull();
    }
  });

  it('every answer carries all four security headers: errors, 415, 413, bad paths, /docs, /metrics', async () => {
    const answers: Record<string, { status: number; headers: Headers }> = {
      '404': await call(server, 'GET', '/nope'),
      '404 write': await call(server, 'POST', '/nope', { body: {} }),
      '401': await call(server, 'GET', '/events', { key: null }),
      '400 validation': await call(server, 'POST', '/events', { body: { type: '' } }),
      '415': await call(server, 'POST', '/events', {
        rawBody: 'x',
        headers: { 'content-type': 'text/plain' },
      }),
      '415 unauthenticated': await call(server, 'POST', '/events', {
        key: null,
        rawBody: 'x',
        headers: { 'content-type': 'text/plain' },
      }),
      '413': await call(server, 'POST', '/events', {
        rawBody: `{"type":"big","data":"${'x'.repeat(300_000)}"}`,
      }),
      '400 percent-encoding': await call(server, 'GET', '/webhook-endpoints/%ZZ'),
      '/docs': await call(server, 'GET', '/docs', { key: null }),
      '/openapi.json': await call(server, 'GET', '/openapi.json', { key: null }),
      '/metrics': await call(server, 'GET', '/metrics', { key: null }),
      '/healthz': await call(server, 'GET', '/healthz', { key: null }),
    };
    for (const [name, response] of Object.entries(answers)) {
      const expected = name.startsWith('/') ? 200 : Number(name.slice(0, 3));
      expect(response.status, name).toBe(expected);
      for (const [header, value] of SECURITY_HEADERS) expect(response.headers.get(header), name).toBe(value);
    }
  });

  it('requests Node refuses before the app (huge headers, broken framing) still get problem+json', async () => {
    const huge = await fetch(`${server.url}/events`, { headers: { 'x-padding': 'p'.repeat(20_000) } });
    expect(huge.status).toBe(431);
    expect(huge.headers.get('content-type')).toBe('application/problem+json');
    expect(huge.headers.get('x-content-type-options')).toBe('nosniff');
    expect(huge.headers.get('x-frame-options')).toBe('DENY');
    expect(huge.headers.get('referrer-policy')).toBe('no-referrer');
    expect(huge.headers.get('cross-origin-resource-policy')).toBe('same-origin');
    expect(await huge.json()).toMatchObject({ status: 431, errors: [] });

    const { port } = new URL(server.url);
    const raw = await new Promise<string>((resolve, reject) => {
      const socket = connect(Number(port), '127.0.0.1', () => {
        socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: nope\r\n\r\n');
      });
      let text = '';
      socket.on('data', (chunk) => {
        text += chunk.toString();
      });
      socket.on('end', () => resolve(text));
      socket.on('error', reject);
    });
    expect(raw).toMatch(/^HTTP\/1\.1 400 /);
    expect(raw).toContain('Content-Type: application/problem+json');
    expect(JSON.parse(raw.slice(raw.indexOf('\r\n\r\n') + 4))).toMatchObject({ status: 400 });
    expect((await call(server, 'GET', '/healthz', { key: null })).status).toBe(200);
  });

  it('never logs keys, secrets or Authorization headers, not even with a 500', async () => {
    const tenant = await call(server, 'POST', '/api-keys', { body: { tenant_id: 'logs', name: 'x' } });
    const endpoint = await call(server, 'POST', '/webhook-endpoints', {
      key: tenant.body.key,
      body: {
        url: 'http://127.0.0.1:9/hook',
        events: ['*'],
        headers: { Authorization: 'Bearer custom-token-123' },
      },
    });
    const guessed = `ak_${randomBytes(32).toString('base64url')}`;
    expect((await call(server, 'GET', '/events', { key: guessed })).status).toBe(401);
    expect((await call(server, 'GET', '/events', { key: 'x'.repeat(10_000) })).status).toBe(401);
    // Break the database under the running app: the next query fails, a 500 with only an error id.
    await server.dataSource.destroy();
    const failed = await call(server, 'GET', '/webhook-endpoints');
    expect(failed.status).toBe(500);
    const errorId = /err_[0-9A-Z]+/.exec(failed.body.detail)?.[0];
    expect(errorId).toBeDefined();
    expect(Object.keys(failed.body).sort()).toEqual(['detail', 'errors', 'status', 'title', 'type']);
    const log = lines.join('\n');
    expect(log).toContain(errorId);
    for (const secret of [
      server.apiKey,
      tenant.body.key,
      guessed,
      endpoint.body.secret,
      'custom-token-123',
    ]) {
      expect(log).not.toContain(secret);
    }
    expect(log).not.toMatch(/Bearer|authorization/i);
  });
});

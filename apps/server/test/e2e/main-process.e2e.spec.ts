import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mainJs, serverRoot, spawnServer } from '../support/server-process';

async function waitFor(predicate: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('node dist/main.js', () => {
  const dir = mkdtempSync(join(tmpdir(), 'acme-main-'));
  beforeAll(() => {
    // `npm test` through turbo builds first; a bare `vitest run` on a fresh clone builds here.
    if (!existsSync(mainJs)) execFileSync('npm', ['run', 'build'], { cwd: serverRoot, stdio: 'ignore' });
  }, 120_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('starts on SQLite, prints the banner with the generated admin key, and serves /healthz', async () => {
    const server = spawnServer('server', {
      DATABASE_URL: `sqlite:${join(dir, 'webhooks.sqlite')}`,
      PORT: '0',
      WEBHOOKS_ROLE: 'api',
    });
    try {
      await waitFor(() => /docs\s+http/.test(server.output()) || server.child.exitCode !== null, 20_000);
      const output = server.output();
      const url = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output)?.[1];
      expect(url, output).toBeDefined();
      expect(output).toContain('database  sqlite:');
      expect(output).toContain('role      api');
      const keyFile = join(dir, 'admin-api-key');
      const key = readFileSync(keyFile, 'utf8').trim();
      expect(output).toContain(`admin key ${key} (generated, saved in ${keyFile})`);
      expect(statSync(keyFile).mode & 0o777).toBe(0o600);
      expect(output).toContain(`${url}/docs`);

      const health = await fetch(`${url}/healthz`);
      expect(health.status).toBe(200);
      const authed = await fetch(`${url}/webhook-endpoints`, { headers: { authorization: `Bearer ${key}` } });
      expect(authed.status).toBe(200);
    } finally {
      server.child.kill('SIGTERM');
      await server.exited;
    }

    // Second start: the same key, read from the data folder, not printed again.
    const again = spawnServer('server', {
      DATABASE_URL: `sqlite:${join(dir, 'webhooks.sqlite')}`,
      PORT: '0',
      WEBHOOKS_ROLE: 'api',
    });
    try {
      await waitFor(() => /docs\s+http/.test(again.output()) || again.child.exitCode !== null, 20_000);
      expect(again.output()).toContain(`admin key in ${join(dir, 'admin-api-key')}`);
      expect(again.output()).not.toContain(readFileSync(join(dir, 'admin-api-key'), 'utf8').trim());
    } finally {
      again.child.kill('SIGTERM');
      await again.exited;
    }
  });

  it('SIGTERM: a request already under way on a keep-alive connection is answered, and so is the next one on it', async () => {
    const key = 'shutdown-test-key-0123456789';
    const server = spawnServer('server', {
      DATABASE_URL: `sqlite:${join(dir, 'shutdown.sqlite')}`,
      WEBHOOKS_API_KEY: key,
      WEBHOOKS_ROLE: 'api',
    });
    const port = Number(new URL(await server.url).port);
    const socket = connect(port, '127.0.0.1');
    let received = '';
    socket.on('data', (chunk) => {
      received += chunk.toString();
    });
    socket.on('error', () => undefined);
    try {
      await once(socket, 'connect');
      const body = JSON.stringify({ url: 'https://example.com/hook', events: ['a.b'] });
      socket.write(
        `POST /webhook-endpoints HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${key}\r\n` +
          `Content-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body.slice(0, 10)}`,
      );
      await new Promise((resolve) => setTimeout(resolve, 200));
      server.child.kill('SIGTERM');
      await new Promise((resolve) => setTimeout(resolve, 300));
      socket.write(body.slice(10));
      await waitFor(() => /\r\n\r\n\{/.test(received), 5_000);
      expect(received).toMatch(/^HTTP\/1\.1 201 /);
      // The next request on the same connection, before it is closed: served (the connection then
      // closes), not a bare 503 without problem+json or the security headers.
      const first = received.length;
      socket.write(`GET /webhook-endpoints HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${key}\r\n\r\n`);
      await waitFor(() => received.length > first && /\r\n\r\n/.test(received.slice(first)), 5_000);
      const next = received.slice(first);
      expect(next, next).toMatch(/^HTTP\/1\.1 200 /);
      expect(next.toLowerCase()).toContain('x-frame-options: deny');
    } finally {
      socket.destroy();
      server.child.kill('SIGTERM');
      await server.exited;
    }
  });

  it('an unreachable database stops start-up with one line and exit code 1, no stack dump', async () => {
    // Nothing listens on this loopback port.
    const server = spawnServer('server', { DATABASE_URL: 'mysql://root@127.0.0.1:1/acme', PORT: '0' });
    expect(await server.exited).toBe(1);
    const lines = server.output().trim().split('\n');
    expect(lines).toEqual([expect.stringMatching(/^Could not start: connect ECONNREFUSED 127\.0\.0\.1:1$/)]);
  });

  it('a bad environment stops start-up with one line and exit code 1', async () => {
    const server = spawnServer('server', {
      DATABASE_URL: 'postgres://nope',
      PORT: 'eighty',
      NODE_ENV: 'production',
    });
    const code = await server.exited;
    expect(code).toBe(1);
    const lines = server.output().trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^Invalid configuration: /);
    for (const name of ['DATABASE_URL', 'PORT', 'WEBHOOKS_ENCRYPTION_KEY']) expect(lines[0]).toContain(name);
  });
});

import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mainJs, serverRoot, spawnServer } from './support/server-process';

const KEY = randomBytes(32).toString('base64');

describe('production start-up refusals (node dist/main.js)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'acme-security-main-'));
  const database = `sqlite:${join(dir, 'webhooks.sqlite')}`;
  beforeAll(() => {
    if (!existsSync(mainJs)) execFileSync('npm', ['run', 'build'], { cwd: serverRoot, stdio: 'ignore' });
  }, 120_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const shortKey = randomBytes(16).toString('base64');
  const longKey = randomBytes(33).toString('base64');
  it.each([
    ['no WEBHOOKS_ENCRYPTION_KEY', {}, 'WEBHOOKS_ENCRYPTION_KEY', undefined],
    ['a 16-byte key', { WEBHOOKS_ENCRYPTION_KEY: shortKey }, 'WEBHOOKS_ENCRYPTION_KEY', shortKey],
    ['a 33-byte key', { WEBHOOKS_ENCRYPTION_KEY: longKey }, 'WEBHOOKS_ENCRYPTION_KEY', longKey],
    [
      'a key that is not base64',
      { WEBHOOKS_ENCRYPTION_KEY: 'not base64 at all!' },
      'WEBHOOKS_ENCRYPTION_KEY',
      'not base64',
    ],
    [
      'a bad previous key',
      { WEBHOOKS_ENCRYPTION_KEY: KEY, WEBHOOKS_ENCRYPTION_KEY_PREVIOUS: shortKey },
      'WEBHOOKS_ENCRYPTION_KEY_PREVIOUS',
      shortKey,
    ],
    [
      'a bad rate limit',
      { WEBHOOKS_ENCRYPTION_KEY: KEY, WEBHOOKS_API_RATE_LIMIT: 'lots' },
      'WEBHOOKS_API_RATE_LIMIT',
      undefined,
    ],
  ] as Array<[string, Record<string, string>, string, string | undefined]>)(
    '%s: one line naming the variable, exit code 1',
    async (_case, env, variable, secret) => {
      const server = spawnServer('server', {
        NODE_ENV: 'production',
        DATABASE_URL: database,
        PORT: '0',
        ...env,
      });
      const code = await server.exited;
      expect(code).toBe(1);
      const lines = server.output().trim().split('\n');
      expect(lines, server.output()).toHaveLength(1);
      expect(lines[0]).toMatch(/^Invalid configuration: /);
      expect(lines[0]).toContain(variable);
      if (secret !== undefined) expect(lines[0]).not.toContain(secret);
    },
  );

  it('with every key configured it starts, and the banner shows neither the admin key nor the encryption key', async () => {
    const adminKey = `prod_admin_${randomBytes(16).toString('hex')}`;
    const server = spawnServer('server', {
      NODE_ENV: 'production',
      DATABASE_URL: database,
      PORT: '0',
      WEBHOOKS_API_KEY: adminKey,
      WEBHOOKS_ENCRYPTION_KEY: KEY,
    });
    try {
      const deadline = Date.now() + 20_000;
      while (
        !/docs\s+http/.test(server.output()) &&
        server.child.exitCode === null &&
        Date.now() < deadline
      ) {
        await new Promise((done) => setTimeout(done, 50));
      }
      const output = server.output();
      const url = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output)?.[1];
      expect(url, output).toBeDefined();
      expect(output).toContain('admin key from WEBHOOKS_API_KEY');
      expect(output).not.toContain(adminKey);
      expect(output).not.toContain(KEY);
      expect(existsSync(join(dir, 'encryption-key'))).toBe(false);
      const refused = await fetch(`${url}/webhook-endpoints`, {
        method: 'POST',
        headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({ url: 'http://127.0.0.1:9/hook', events: ['*'] }),
      });
      expect(refused.status).toBe(400);
    } finally {
      server.child.kill('SIGTERM');
      await server.exited;
    }
    expect(server.output()).not.toContain(adminKey);
  });
});

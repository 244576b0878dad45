import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config';
import { resolveGeneratedSecrets } from './generated-secrets';

describe('resolveGeneratedSecrets', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });
  function dataDir(): string {
    const dir = mkdtempSync(join(tmpdir(), 'acme-secrets-'));
    dirs.push(dir);
    return join(dir, 'data');
  }

  it('generates the admin key and encryption key once, mode 0600, and reuses them', () => {
    const dir = dataDir();
    const first = resolveGeneratedSecrets(loadConfig({ DATABASE_URL: `sqlite:${join(dir, 'db.sqlite')}` }));
    expect(first.apiKeyGenerated).toBe(true);
    expect(first.encryptionKeyGenerated).toBe(true);
    expect(first.apiKeyFile).toBe(join(dir, 'admin-api-key'));
    expect(readFileSync(join(dir, 'admin-api-key'), 'utf8').trim()).toBe(first.config.apiKey);
    expect(statSync(join(dir, 'admin-api-key')).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, 'encryption-key')).mode & 0o777).toBe(0o600);
    expect(first.config.encryptionKey).toHaveLength(32);

    const second = resolveGeneratedSecrets(loadConfig({ DATABASE_URL: `sqlite:${join(dir, 'db.sqlite')}` }));
    expect(second.apiKeyGenerated).toBe(false);
    expect(second.config.apiKey).toBe(first.config.apiKey);
    expect(second.config.encryptionKey).toEqual(first.config.encryptionKey);
  });

  it('leaves keys given in the environment alone and writes nothing', () => {
    const dir = dataDir();
    const resolved = resolveGeneratedSecrets(
      loadConfig({
        DATABASE_URL: `sqlite:${join(dir, 'db.sqlite')}`,
        WEBHOOKS_API_KEY: 'given-admin-key-123',
        WEBHOOKS_ENCRYPTION_KEY: Buffer.alloc(32, 1).toString('base64'),
      }),
    );
    expect(resolved.config.apiKey).toBe('given-admin-key-123');
    expect(resolved.apiKeyFile).toBeUndefined();
    expect(() => statSync(dir)).toThrow();
  });

  it('refuses a corrupt stored encryption key with one line', () => {
    const dir = dataDir();
    resolveGeneratedSecrets(loadConfig({ DATABASE_URL: `sqlite:${join(dir, 'db.sqlite')}` }));
    writeFileSync(join(dir, 'encryption-key'), 'garbage');
    expect(() =>
      resolveGeneratedSecrets(loadConfig({ DATABASE_URL: `sqlite:${join(dir, 'db.sqlite')}` })),
    ).toThrow(ConfigError);
  });
});

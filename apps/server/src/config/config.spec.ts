import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, maskDatabaseUrl, parseDatabaseUrl } from './config';

const KEY = Buffer.alloc(32, 7).toString('base64');

function problem(env: NodeJS.ProcessEnv): string {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('applies the documented defaults', () => {
    const config = loadConfig({});
    expect(config).toEqual({
      port: 3000,
      host: '127.0.0.1',
      databaseUrl: 'sqlite:./.data/webhooks.sqlite',
      apiKey: undefined,
      encryptionKey: undefined,
      previousEncryptionKey: undefined,
      role: 'all',
      retrySchedule: [
        5_000, 60_000, 300_000, 1_800_000, 7_200_000, 21_600_000, 43_200_000, 86_400_000, 86_400_000,
      ],
      requestTimeoutMs: 15_000,
      disableAfterMs: 5 * 86_400_000,
      disableMinFailures: 10,
      maxPayloadBytes: 262_144,
      allowPrivateTargets: true,
      allowInsecureHttp: false,
      userAgent: 'Acme-Webhooks/1.0',
      retentionMs: 30 * 86_400_000,
      apiRateLimit: 100,
      production: false,
      dataDir: resolve('.data'),
    });
  });

  it('reads every variable', () => {
    const config = loadConfig({
      PORT: '8080',
      HOST: '0.0.0.0',
      DATABASE_URL: 'mysql://u:p%40ss@db.internal:3307/hooks',
      WEBHOOKS_API_KEY: 'a-very-long-admin-key',
      WEBHOOKS_ENCRYPTION_KEY: KEY,
      WEBHOOKS_ROLE: 'worker',
      WEBHOOKS_RETRY_SCHEDULE: 'none',
      WEBHOOKS_REQUEST_TIMEOUT: '500ms',
      WEBHOOKS_DISABLE_AFTER: '1h',
      WEBHOOKS_DISABLE_MIN_FAILURES: '3',
      WEBHOOKS_MAX_PAYLOAD_BYTES: '1048576',
      WEBHOOKS_ALLOW_PRIVATE_TARGETS: '0',
      WEBHOOKS_ALLOW_INSECURE_HTTP: 'TRUE',
      WEBHOOKS_USER_AGENT: 'Mine/2',
      WEBHOOKS_RETENTION: '7d',
      WEBHOOKS_API_RATE_LIMIT: '25',
      WEBHOOKS_ENCRYPTION_KEY_PREVIOUS: Buffer.alloc(32, 8).toString('base64'),
      NODE_ENV: 'production',
    });
    expect(config).toMatchObject({
      port: 8080,
      host: '0.0.0.0',
      apiKey: 'a-very-long-admin-key',
      role: 'worker',
      retrySchedule: [],
      requestTimeoutMs: 500,
      disableAfterMs: 3_600_000,
      disableMinFailures: 3,
      maxPayloadBytes: 1_048_576,
      allowPrivateTargets: false,
      allowInsecureHttp: true,
      userAgent: 'Mine/2',
      retentionMs: 7 * 86_400_000,
      apiRateLimit: 25,
      production: true,
      dataDir: resolve('.data'),
    });
    expect(config.encryptionKey).toEqual(Buffer.alloc(32, 7));
    expect(config.previousEncryptionKey).toEqual(Buffer.alloc(32, 8));
  });

  it('WEBHOOKS_API_RATE_LIMIT: 0 or off disables the limit', () => {
    expect(loadConfig({ WEBHOOKS_API_RATE_LIMIT: '0' }).apiRateLimit).toBe(0);
    expect(loadConfig({ WEBHOOKS_API_RATE_LIMIT: 'OFF' }).apiRateLimit).toBe(0);
  });

  it('private targets default to refused in production', () => {
    expect(loadConfig({ NODE_ENV: 'production', WEBHOOKS_ENCRYPTION_KEY: KEY }).allowPrivateTargets).toBe(
      false,
    );
  });

  it('puts the data folder beside the SQLite file', () => {
    expect(loadConfig({ DATABASE_URL: 'sqlite:/var/lib/acme/hooks.db' }).dataDir).toBe('/var/lib/acme');
    expect(loadConfig({ DATABASE_URL: 'sqlite::memory:' }).dataDir).toBe(resolve('.data'));
  });

  it.each([
    ['PORT', 'abc'],
    ['PORT', '70000'],
    ['PORT', '-1'],
    ['DATABASE_URL', 'postgres://x/y'],
    ['DATABASE_URL', 'sqlite:'],
    ['DATABASE_URL', 'mysql://host-only'],
    ['WEBHOOKS_API_KEY', 'short'],
    ['WEBHOOKS_ENCRYPTION_KEY', 'too-short'],
    ['WEBHOOKS_ENCRYPTION_KEY', Buffer.alloc(16).toString('base64')],
    ['WEBHOOKS_ROLE', 'both'],
    ['WEBHOOKS_RETRY_SCHEDULE', '5s,soon'],
    ['WEBHOOKS_RETRY_SCHEDULE', '0s'],
    ['WEBHOOKS_REQUEST_TIMEOUT', '15'],
    ['WEBHOOKS_REQUEST_TIMEOUT', '0s'],
    ['WEBHOOKS_DISABLE_AFTER', '5 days'],
    ['WEBHOOKS_DISABLE_MIN_FAILURES', '0'],
    ['WEBHOOKS_DISABLE_MIN_FAILURES', '2.5'],
    ['WEBHOOKS_MAX_PAYLOAD_BYTES', '12kb'],
    ['WEBHOOKS_MAX_PAYLOAD_BYTES', '99999999999'],
    ['WEBHOOKS_ALLOW_PRIVATE_TARGETS', 'yes'],
    ['WEBHOOKS_ALLOW_INSECURE_HTTP', 'on'],
    ['WEBHOOKS_RETENTION', '1w'],
    ['WEBHOOKS_API_RATE_LIMIT', 'fast'],
    ['WEBHOOKS_API_RATE_LIMIT', '-5'],
    ['WEBHOOKS_API_RATE_LIMIT', '2.5'],
    ['WEBHOOKS_API_RATE_LIMIT', '99999999'],
    ['WEBHOOKS_ENCRYPTION_KEY_PREVIOUS', 'too-short'],
  ])('%s=%j stops start-up with one line naming it', (name, value) => {
    const message = problem({ [name]: value });
    expect(message).toContain(name);
    expect(message).not.toContain('\n');
  });

  it('names every bad variable at once, in one line', () => {
    const message = problem({ PORT: 'x', WEBHOOKS_ROLE: 'boss', WEBHOOKS_RETENTION: 'forever' });
    expect(message).toMatch(/^Invalid configuration: /);
    for (const name of ['PORT', 'WEBHOOKS_ROLE', 'WEBHOOKS_RETENTION']) expect(message).toContain(name);
    expect(message.split('\n')).toHaveLength(1);
  });

  it('requires the encryption key in production, without echoing secrets', () => {
    const message = problem({ NODE_ENV: 'production' });
    expect(message).toContain('WEBHOOKS_ENCRYPTION_KEY');
    expect(problem({ WEBHOOKS_API_KEY: 'secret x' })).not.toContain('secret x');
    const shortKey = Buffer.alloc(16, 3).toString('base64');
    for (const name of ['WEBHOOKS_ENCRYPTION_KEY', 'WEBHOOKS_ENCRYPTION_KEY_PREVIOUS']) {
      expect(problem({ WEBHOOKS_ENCRYPTION_KEY: KEY, [name]: shortKey })).not.toContain(shortKey);
    }
  });

  it('a previous encryption key needs the current one', () => {
    expect(problem({ WEBHOOKS_ENCRYPTION_KEY_PREVIOUS: KEY })).toContain('WEBHOOKS_ENCRYPTION_KEY_PREVIOUS');
  });

  it('rejects a user agent with a line break', () => {
    expect(problem({ WEBHOOKS_USER_AGENT: 'A\r\nX-Evil: 1' })).toContain('WEBHOOKS_USER_AGENT');
  });

  it('treats empty variables as unset', () => {
    expect(loadConfig({ PORT: '', WEBHOOKS_ROLE: '  ' })).toMatchObject({ port: 3000, role: 'all' });
  });
});

describe('parseDatabaseUrl / maskDatabaseUrl', () => {
  it.each([
    ['sqlite::memory:', { dialect: 'sqlite', file: ':memory:' }],
    ['sqlite:./data/x.sqlite', { dialect: 'sqlite', file: './data/x.sqlite' }],
    [
      'mysql://user:p%40ss@db:3306/hooks',
      { dialect: 'mysql', host: 'db', port: 3306, username: 'user', password: 'p@ss', database: 'hooks' },
    ],
    [
      'mysql://root@127.0.0.1/acme',
      { dialect: 'mysql', host: '127.0.0.1', port: 3306, username: 'root', password: '' },
    ],
  ])('%s', (url, expected) => {
    expect(parseDatabaseUrl(url)).toMatchObject(expected);
  });

  it('masks the password', () => {
    expect(maskDatabaseUrl('mysql://user:hunter2@db:3306/hooks')).toBe('mysql://user:***@db:3306/hooks');
    expect(maskDatabaseUrl('mysql://root@db/hooks')).toBe('mysql://root@db/hooks');
    expect(maskDatabaseUrl('sqlite:./x')).toBe('sqlite:./x');
  });
});

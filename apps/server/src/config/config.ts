import { dirname, resolve } from 'node:path';
import { parseDuration } from '../common/duration';
import { DEFAULT_RETRY_SCHEDULE_TEXT, parseRetrySchedule } from '../dispatch/retry-schedule';

export type Role = 'api' | 'worker' | 'all';

/** Everything the server reads from its environment, parsed and validated once at boot. */
export interface AppConfig {
  port: number;
  host: string;
  databaseUrl: string;
  /** Undefined until the boot step reads or generates it in the data folder (see generated-secrets.ts). */
  apiKey: string | undefined;
  /** 32 bytes; undefined until the boot step reads or generates it (never generated in production). */
  encryptionKey: Buffer | undefined;
  /** 32 bytes: the key before the last key rotation, only to open secrets not yet re-sealed. */
  previousEncryptionKey: Buffer | undefined;
  role: Role;
  retrySchedule: readonly number[];
  requestTimeoutMs: number;
  disableAfterMs: number;
  disableMinFailures: number;
  maxPayloadBytes: number;
  allowPrivateTargets: boolean;
  allowInsecureHttp: boolean;
  userAgent: string;
  retentionMs: number;
  /** API requests per second per key (token bucket, burst twice that); 0 = no limit. */
  apiRateLimit: number;
  production: boolean;
  /** Absolute path: the directory of the SQLite file, else `./.data`. Generated keys live here. */
  dataDir: string;
}

export const DEFAULT_DATABASE_URL = 'sqlite:./.data/webhooks.sqlite';
/** Requests per second per API key when WEBHOOKS_API_RATE_LIMIT is unset. */
export const DEFAULT_API_RATE_LIMIT = 100;

/** A bad environment: `message` is one line naming every bad variable and why. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(readonly problems: readonly string[]) {
    super(`Invalid configuration: ${problems.join('; ')}`);
  }
}

export type DatabaseLocation =
  | { dialect: 'sqlite'; file: string | ':memory:' }
  | {
      dialect: 'mysql';
      host: string;
      port: number;
      username: string;
      password: string;
      database: string;
    };

/** Parses the three accepted `DATABASE_URL` forms; throws an Error whose message says what is wrong. */
export function parseDatabaseUrl(url: string): DatabaseLocation {
  if (url.startsWith('sqlite:')) {
    const file = url.slice('sqlite:'.length);
    if (file === ':memory:') return { dialect: 'sqlite', file };
    if (file.trim() === '') throw new Error('sqlite: needs a file path, e.g. sqlite:./.data/webhooks.sqlite');
    return { dialect: 'sqlite', file: file.startsWith('//') ? file.slice(2) : file };
  }
  if (url.startsWith('mysql://') || url.startsWith('mariadb://')) {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new Error('is not a valid URL (mysql://user:pass@host:3306/db)');
    }
    const database = decodeURIComponent(parsed.pathname.replace(/^\//, ''));
    if (!parsed.hostname) throw new Error('needs a host (mysql://user:pass@host:3306/db)');
    if (!database || database.includes('/'))
      throw new Error('needs a database name (mysql://user:pass@host:3306/db)');
    const port = parsed.port ? Number(parsed.port) : 3306;
    return {
      dialect: 'mysql',
      host: parsed.hostname,
      port,
      username: decodeURIComponent(parsed.username) || 'root',
      password: decodeURIComponent(parsed.password),
      database,
    };
  }
  throw new Error('must be sqlite:<file>, sqlite::memory: or mysql://user:pass@host:3306/db');
}

/** The database URL with any password replaced by `***`, for banners and logs. */
export function maskDatabaseUrl(url: string): string {
  return url.replace(/^(mysql|mariadb):\/\/([^:@/]*):([^@/]*)@/, '$1://$2:***@');
}

const BOOLEANS: Record<string, boolean> = { true: true, false: false, '1': true, '0': false };

/** Reads and validates the environment. Collects every problem before throwing one ConfigError. */
export function loadConfig(env: NodeJS.ProcessEnv): AppConfig {
  const problems: string[] = [];
  const read = (name: string): string | undefined => {
    const value = env[name];
    return value === undefined || value.trim() === '' ? undefined : value.trim();
  };
  const fail = (name: string, why: string, shown?: string): undefined => {
    problems.push(shown === undefined ? `${name} ${why}` : `${name} ${why} (got ${JSON.stringify(shown)})`);
    return undefined;
  };
  const integer = (name: string, fallback: number, min: number, max: number): number => {
    const text = read(name);
    if (text === undefined) return fallback;
    const value = /^\d+$/.test(text) ? Number(text) : Number.NaN;
    if (!Number.isSafeInteger(value) || value < min || value > max) {
      return fail(name, `must be an integer from ${min} to ${max}`, text) ?? fallback;
    }
    return value;
  };
  const duration = (name: string, fallback: string): number => {
    const text = read(name) ?? fallback;
    const ms = parseDuration(text);
    if (ms === null || ms <= 0) {
      return fail(name, 'must be a positive duration with a unit ms, s, m, h or d, e.g. 30s', text) ?? 0;
    }
    return ms;
  };
  const boolean = (name: string, fallback: boolean): boolean => {
    const text = read(name);
    if (text === undefined) return fallback;
    const value = BOOLEANS[text.toLowerCase()];
    return value ?? fail(name, 'must be true, false, 1 or 0', text) ?? fallback;
  };

  const production = read('NODE_ENV') === 'production';

  const host = read('HOST') ?? '127.0.0.1';
  const port = integer('PORT', 3000, 0, 65535);

  const databaseUrl = read('DATABASE_URL') ?? DEFAULT_DATABASE_URL;
  let dataDir = resolve('.data');
  try {
    const location = parseDatabaseUrl(databaseUrl);
    if (location.dialect === 'sqlite' && location.file !== ':memory:')
      dataDir = dirname(resolve(location.file));
  } catch (error) {
    fail('DATABASE_URL', (error as Error).message, maskDatabaseUrl(databaseUrl));
  }

  const apiKey = read('WEBHOOKS_API_KEY');
  if (apiKey !== undefined && (apiKey.length < 16 || /\s/.test(apiKey))) {
    fail('WEBHOOKS_API_KEY', 'must be at least 16 characters without spaces');
  }

  const key32 = (name: string): Buffer | undefined => {
    const text = read(name);
    if (text === undefined) return undefined;
    const decoded = /^[A-Za-z0-9+/_-]+={0,2}$/.test(text) ? Buffer.from(text, 'base64') : null;
    if (decoded?.length === 32) return decoded;
    // Never echo the value: it is a secret.
    return fail(name, 'must be 32 bytes in base64 (e.g. the output of `openssl rand -base64 32`)');
  };
  const encryptionKey = key32('WEBHOOKS_ENCRYPTION_KEY');
  if (read('WEBHOOKS_ENCRYPTION_KEY') === undefined && production) {
    fail(
      'WEBHOOKS_ENCRYPTION_KEY',
      'is required when NODE_ENV=production (32 bytes in base64: `openssl rand -base64 32`)',
    );
  }
  const previousEncryptionKey = key32('WEBHOOKS_ENCRYPTION_KEY_PREVIOUS');
  if (previousEncryptionKey && read('WEBHOOKS_ENCRYPTION_KEY') === undefined) {
    fail('WEBHOOKS_ENCRYPTION_KEY_PREVIOUS', 'needs WEBHOOKS_ENCRYPTION_KEY (the new key) to be set too');
  }

  const roleText = read('WEBHOOKS_ROLE') ?? 'all';
  const role: Role =
    roleText === 'api' || roleText === 'worker' || roleText === 'all'
      ? roleText
      : (fail('WEBHOOKS_ROLE', 'must be api, worker or all', roleText) ?? 'all');

  let retrySchedule: readonly number[] = [];
  const scheduleText = read('WEBHOOKS_RETRY_SCHEDULE') ?? DEFAULT_RETRY_SCHEDULE_TEXT;
  try {
    retrySchedule = parseRetrySchedule(scheduleText);
  } catch (error) {
    fail('WEBHOOKS_RETRY_SCHEDULE', `is invalid: ${(error as Error).message}`);
  }

  const requestTimeoutMs = duration('WEBHOOKS_REQUEST_TIMEOUT', '15s');
  const disableAfterMs = duration('WEBHOOKS_DISABLE_AFTER', '5d');
  const disableMinFailures = integer('WEBHOOKS_DISABLE_MIN_FAILURES', 10, 1, 1_000_000);
  // Capped below MySQL MEDIUMTEXT (16 MiB), which holds the stored payload.
  const maxPayloadBytes = integer('WEBHOOKS_MAX_PAYLOAD_BYTES', 262_144, 1_024, 10 * 1024 * 1024);
  const allowPrivateTargets = boolean('WEBHOOKS_ALLOW_PRIVATE_TARGETS', !production);
  const allowInsecureHttp = boolean('WEBHOOKS_ALLOW_INSECURE_HTTP', false);
  const userAgent = read('WEBHOOKS_USER_AGENT') ?? 'Acme-Webhooks/1.0';
  if (/[\r\n]/.test(env.WEBHOOKS_USER_AGENT ?? ''))
    fail('WEBHOOKS_USER_AGENT', 'must not contain line breaks');
  const retentionMs = duration('WEBHOOKS_RETENTION', '30d');
  const rateText = read('WEBHOOKS_API_RATE_LIMIT')?.toLowerCase();
  let apiRateLimit = DEFAULT_API_RATE_LIMIT;
  if (rateText === 'off') apiRateLimit = 0;
  else if (rateText !== undefined) {
    const value = /^\d{1,7}$/.test(rateText) ? Number(rateText) : Number.NaN;
    if (Number.isInteger(value) && value <= 1_000_000) apiRateLimit = value;
    else fail('WEBHOOKS_API_RATE_LIMIT', 'must be requests per second per key (0–1000000) or off', rateText);
  }

  if (problems.length > 0) throw new ConfigError(problems);
  return {
    port,
    host,
    databaseUrl,
    apiKey,
    encryptionKey,
    previousEncryptionKey,
    role,
    retrySchedule,
    requestTimeoutMs,
    disableAfterMs,
    disableMinFailures,
    maxPayloadBytes,
    allowPrivateTargets,
    allowInsecureHttp,
    userAgent,
    retentionMs,
    apiRateLimit,
    production,
    dataDir,
  };
}

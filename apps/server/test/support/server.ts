import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { INestApplication, LoggerService, LogLevel } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { describe, inject, it } from 'vitest';
import { type AppConfig, loadConfig } from '../../src/config/config';
import { resolveGeneratedSecrets } from '../../src/config/generated-secrets';
import { createHttpApp } from '../../src/http-app';
import { createTestDatabase } from './mysql';

export type TestDatabase = 'sqlite' | 'mysql';

export interface TestServer {
  /** `http://127.0.0.1:<port>`, no trailing slash. */
  url: string;
  /** The admin API key. */
  apiKey: string;
  config: AppConfig;
  app: INestApplication;
  dataSource: DataSource;
  /** Stops the app and removes its database and data folder. */
  close(): Promise<void>;
}

export interface StartServerOptions {
  database?: TestDatabase;
  /** Environment on top of the test defaults (random admin and encryption keys, fresh database).
   *  An empty string unsets a default, e.g. `{ WEBHOOKS_API_KEY: '' }` to have the key generated. */
  env?: Record<string, string>;
  logger?: LoggerService | LogLevel[] | false;
}

/**
 * A real app listening on 127.0.0.1 (port 0) over a fresh database: a temp SQLite file, or a new,
 * uniquely named MySQL database on MYSQL_URL that close() drops.
 */
export async function startServer(options: StartServerOptions = {}): Promise<TestServer> {
  const dataDir = mkdtempSync(join(tmpdir(), 'acme-webhooks-test-'));
  const mysql = options.database === 'mysql' ? await createTestDatabase() : undefined;
  const cleanups: Array<() => Promise<void> | void> = [
    () => rmSync(dataDir, { recursive: true, force: true }),
  ];
  if (mysql) cleanups.unshift(() => mysql.drop());
  try {
    const env: Record<string, string> = {
      DATABASE_URL: mysql?.databaseUrl ?? `sqlite:${join(dataDir, 'webhooks.sqlite')}`,
      WEBHOOKS_API_KEY: `test_admin_${randomBytes(16).toString('hex')}`,
      WEBHOOKS_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
      ...options.env,
    };
    const config = resolveGeneratedSecrets({ ...loadConfig(env), dataDir }).config;
    const app = await createHttpApp(config, { logger: options.logger ?? ['error'] });
    cleanups.unshift(() => app.close());
    await app.listen(0, '127.0.0.1');
    const address = app.getHttpServer().address() as { port: number };
    let closed = false;
    return {
      url: `http://127.0.0.1:${address.port}`,
      apiKey: config.apiKey!,
      config,
      app,
      dataSource: app.get(DataSource),
      close: async () => {
        if (closed) return;
        closed = true;
        await runAll(cleanups);
      },
    };
  } catch (error) {
    await runAll(cleanups);
    throw error;
  }
}

async function runAll(cleanups: Array<() => Promise<void> | void>): Promise<void> {
  for (const cleanup of cleanups) {
    try {
      await cleanup();
    } catch {
      // Best effort: a failed cleanup must not hide the test's own result.
    }
  }
}

/**
 * Runs `fn` as a suite on SQLite and on MySQL. When MySQL is unreachable its suite is skipped with a
 * loud warning, or FAILS when REQUIRE_MYSQL=1 (as in CI).
 */
export function describeEachDatabase(name: string, fn: (db: TestDatabase) => void): void {
  describe(`${name} [sqlite]`, () => fn('sqlite'));
  const problem = inject('mysqlProblem');
  if (problem === null) {
    describe(`${name} [mysql]`, () => fn('mysql'));
  } else if (process.env.REQUIRE_MYSQL === '1') {
    describe(`${name} [mysql]`, () => {
      it('needs MySQL (REQUIRE_MYSQL=1)', () => {
        throw new Error(
          `MySQL is unreachable at ${process.env.MYSQL_URL ?? 'mysql://root@127.0.0.1:3306'}: ${problem}`,
        );
      });
    });
  } else {
    console.warn(
      `\n⚠️  SKIPPING "${name} [mysql]": MySQL is unreachable (${problem}). Start MariaDB or set MYSQL_URL; CI sets REQUIRE_MYSQL=1.\n`,
    );
    describe.skip(`${name} [mysql]`, () => fn('mysql'));
  }
}

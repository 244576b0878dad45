import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { DataSource, DataSourceOptions } from 'typeorm';
import { parseDatabaseUrl } from '../config/config';
import { ENTITIES, MIGRATIONS } from './entities';

/** How long a SQLite writer waits for another process's write lock before SQLITE_BUSY. */
const SQLITE_BUSY_TIMEOUT_MS = 5_000;

/** TypeORM options for `DATABASE_URL`. Creates the SQLite file's folder when missing. */
export function dataSourceOptions(databaseUrl: string): DataSourceOptions {
  const common = {
    entities: ENTITIES,
    migrations: MIGRATIONS,
    migrationsTableName: 'schema_migrations',
    synchronize: false,
    migrationsRun: false,
    // Failed queries surface as errors where they happen; TypeORM's own log would print parameters.
    logging: false,
  } satisfies Partial<DataSourceOptions>;
  const location = parseDatabaseUrl(databaseUrl);
  if (location.dialect === 'sqlite') {
    const inMemory = location.file === ':memory:';
    if (!inMemory) mkdirSync(dirname(resolve(location.file)), { recursive: true });
    return {
      ...common,
      type: 'better-sqlite3',
      database: inMemory ? ':memory:' : resolve(location.file),
      enableWAL: !inMemory,
      timeout: SQLITE_BUSY_TIMEOUT_MS,
      prepareDatabase: (db: { pragma(sql: string): unknown }) => {
        db.pragma(`busy_timeout = ${SQLITE_BUSY_TIMEOUT_MS}`);
        // WAL with FULL: every commit is synced before it returns, so a 202'd event survives a power
        // loss too, not only a crash of the process (NORMAL would be ≈ 8 % faster; docs/benchmarks.md).
        db.pragma('synchronous = FULL');
      },
    };
  }
  return {
    ...common,
    type: 'mysql',
    host: location.host,
    port: location.port,
    username: location.username,
    password: location.password,
    database: location.database,
    charset: 'utf8mb4',
    timezone: 'Z',
    poolSize: 10,
    // Pipelined transactions send several statements in one packet (statement-pipeline.ts). Every
    // value still travels as a `?` parameter escaped by the driver, never spliced into the SQL.
    multipleStatements: true,
    connectTimeout: 5_000,
  };
}

export function isSqlite(dataSource: DataSource): boolean {
  return dataSource.options.type === 'better-sqlite3';
}

import { DataSource } from 'typeorm';
import { ConfigError, loadConfig, maskDatabaseUrl } from '../config/config';
import { dataSourceOptions, isSqlite } from './data-source';

const MYSQL_LOCK = 'acme_webhooks_migrate';
const LOCK_WAIT_SECONDS = 60;

/**
 * Runs pending migrations while holding a database-wide lock, so any number of processes may start
 * at once: the first migrates, the others wait and then find nothing to do. Returns the names run.
 */
export async function migrateUnderLock(dataSource: DataSource): Promise<string[]> {
  if (isSqlite(dataSource)) return migrateSqlite(dataSource);
  const lockHolder = dataSource.createQueryRunner();
  try {
    await lockHolder.connect();
    const [row] = await lockHolder.query(
      `SELECT GET_LOCK('${MYSQL_LOCK}', ${LOCK_WAIT_SECONDS}) AS acquired`,
    );
    if (Number(row?.acquired) !== 1) {
      throw new Error(
        `could not take the migration lock within ${LOCK_WAIT_SECONDS}s (another process migrating?)`,
      );
    }
    try {
      const ran = await dataSource.runMigrations({ transaction: 'each' });
      return ran.map((migration) => migration.name);
    } finally {
      await lockHolder.query(`SELECT RELEASE_LOCK('${MYSQL_LOCK}')`);
    }
  } finally {
    await lockHolder.release();
  }
}

/** SQLite has one writer: BEGIN IMMEDIATE takes the file's write lock before reading what has run. */
async function migrateSqlite(dataSource: DataSource): Promise<string[]> {
  const deadline = Date.now() + LOCK_WAIT_SECONDS * 1000;
  for (;;) {
    try {
      await dataSource.query('BEGIN IMMEDIATE');
      break;
    } catch (error) {
      if (!/SQLITE_BUSY|database is locked/i.test(String(error)) || Date.now() > deadline) throw error;
    }
  }
  try {
    const ran = await dataSource.runMigrations({ transaction: 'none' });
    await dataSource.query('COMMIT');
    return ran.map((migration) => migration.name);
  } catch (error) {
    await dataSource.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}

/** `npm run migrate`: apply migrations for DATABASE_URL and exit. */
async function main(): Promise<void> {
  try {
    const config = loadConfig(process.env);
    const dataSource = await new DataSource(dataSourceOptions(config.databaseUrl)).initialize();
    try {
      const ran = await migrateUnderLock(dataSource);
      console.log(
        ran.length === 0
          ? `Database ${maskDatabaseUrl(config.databaseUrl)} is up to date.`
          : `Applied ${ran.join(', ')} to ${maskDatabaseUrl(config.databaseUrl)}.`,
      );
    } finally {
      await dataSource.destroy();
    }
  } catch (error) {
    console.error(
      error instanceof ConfigError ? error.message : `Migration failed: ${(error as Error).message}`,
    );
    process.exitCode = 1;
  }
}

if (require.main === module) void main();

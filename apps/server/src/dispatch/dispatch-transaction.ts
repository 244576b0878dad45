import { DataSource, EntityManager } from 'typeorm';
import { isSqlite } from '../database/data-source';
import { pipelinedTransaction } from '../database/statement-pipeline';
import { runInTransaction } from '../database/transactions';

/** MySQL errors that mean "try the whole transaction again": deadlock, lock wait timeout. */
const RETRYABLE_MYSQL_ERRORS = new Set(['ER_LOCK_DEADLOCK', 'ER_LOCK_WAIT_TIMEOUT']);
const MAX_TRIES = 4;

function isRetryable(error: unknown): boolean {
  const e = error as { code?: unknown; driverError?: { code?: unknown } };
  return (
    RETRYABLE_MYSQL_ERRORS.has(String(e?.code)) || RETRYABLE_MYSQL_ERRORS.has(String(e?.driverError?.code))
  );
}

/**
 * A dispatch transaction. On MySQL: READ COMMITTED, so a claim that waited for an endpoint lock then
 * counts the leases its rival just committed; retried on deadlock (the work must be safe to repeat).
 * On SQLite: queued behind the process's other transactions (one connection).
 */
export async function inDispatchTransaction<T>(
  dataSource: DataSource,
  work: (manager: EntityManager) => Promise<T>,
): Promise<T> {
  if (isSqlite(dataSource)) return runInTransaction(dataSource, work);
  for (let tries = 1; ; tries++) {
    try {
      return await pipelinedTransaction(dataSource, 'READ COMMITTED', work);
    } catch (error) {
      if (tries >= MAX_TRIES || !isRetryable(error)) throw error;
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 20 * tries));
    }
  }
}

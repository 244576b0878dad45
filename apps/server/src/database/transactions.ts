import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { isSqlite } from './data-source';
import { IsolationLevel, pipelinedTransaction } from './statement-pipeline';

// better-sqlite3 has ONE connection per data source: two overlapping transactions would nest into
// each other. Queue them per data source instead (MySQL gets a pooled connection per transaction).
const sqliteQueues = new WeakMap<DataSource, Promise<unknown>>();

/**
 * Runs `work` in a transaction: committed when it resolves, rolled back when it throws.
 * Use this, not `dataSource.transaction`, so SQLite transactions never interleave and MySQL ones
 * send their statements pipelined (statement-pipeline.ts). `isolation` applies to MySQL (SQLite's
 * transactions are serializable).
 */
export function runInTransaction<T>(
  dataSource: DataSource,
  work: (manager: EntityManager) => Promise<T>,
  isolation?: IsolationLevel,
): Promise<T> {
  if (!isSqlite(dataSource)) return pipelinedTransaction(dataSource, isolation, work);
  const previous = sqliteQueues.get(dataSource) ?? Promise.resolve();
  const result = previous.then(() => dataSource.transaction(work));
  sqliteQueues.set(
    dataSource,
    result.catch(() => undefined),
  );
  return result;
}

/** Injectable face of runInTransaction. */
@Injectable()
export class Transactions {
  constructor(private readonly dataSource: DataSource) {}

  run<T>(work: (manager: EntityManager) => Promise<T>, isolation?: IsolationLevel): Promise<T> {
    return runInTransaction(this.dataSource, work, isolation);
  }
}

import { DataSource, EntityManager, QueryResult, QueryRunner } from 'typeorm';

export type IsolationLevel = Parameters<EntityManager['transaction']>[0] & string;

export interface Statement {
  sql: string;
  params: unknown[];
}

/**
 * On MySQL every statement is a round trip, and in a short transaction the round trips, not the
 * statements, are most of its time (a `SELECT 1` round trip ≈ 0.2 ms here; the statements of a claim
 * round were ≈ 0.5 ms apart even on an idle server; docs/benchmarks.md, round 6). A pipelined
 * transaction makes fewer of them:
 *
 * - `SET TRANSACTION ISOLATION LEVEL …` and `START TRANSACTION` are held back and go out in the same
 *   packet as the transaction's first statement (a multi-statement query);
 * - writes whose answer the transaction does not need (`deferWrite`) are held back too, and go out
 *   with the next statement that needs its answer, or with `COMMIT`;
 * - a transaction that sent nothing sends no `COMMIT` or `ROLLBACK` either.
 *
 * The statements run in the order they were issued, on the transaction's connection, inside the
 * transaction: what commits is exactly what would have committed statement by statement. MySQL stops
 * a multi-statement query at its first error, so a failed write is never followed by the `COMMIT`
 * sent with it; the error is thrown where the batch was sent and the transaction rolls back. Its
 * `QueryFailedError.query`/`.parameters` then hold the whole packet (other statements' values too):
 * like TypeORM's query log, they are not for logging.
 */
class StatementPipeline {
  private queued: Statement[] = [];
  /** `START TRANSACTION` has reached the server. */
  private begun = false;

  constructor(
    private readonly send: (sql: string, params: unknown[], structured: boolean) => Promise<unknown>,
  ) {}

  defer(sql: string, params: unknown[]): void {
    this.queued.push({ sql, params });
  }

  async query(sql: string, params: unknown[] = [], structured = false): Promise<unknown> {
    if (isTransactionControl(sql)) {
      this.defer(sql, params);
      return structured ? new QueryResult() : undefined;
    }
    const ends = sql === 'COMMIT' || sql === 'ROLLBACK';
    if (
      ends &&
      !this.begun &&
      (sql === 'ROLLBACK' || this.queued.every((s) => isTransactionControl(s.sql)))
    ) {
      // Nothing reached the server (or nothing but the BEGIN): nothing to commit or undo.
      this.queued = [];
      return structured ? new QueryResult() : undefined;
    }
    // Rolled back: what was never sent is simply dropped.
    if (sql === 'ROLLBACK') this.queued = [];
    const batch = [...this.queued, { sql, params }];
    this.queued = [];
    // From here until a COMMIT or ROLLBACK succeeds, the server may hold an open transaction (also
    // when this batch fails part-way), so a later ROLLBACK must be sent.
    if (batch.some((s) => s.sql === 'START TRANSACTION')) this.begun = true;
    const raws = await this.sendBatch(batch);
    if (ends) this.begun = false;
    // The caller asked for the last statement's answer.
    const raw = raws[raws.length - 1];
    return structured ? toQueryResult(raw) : raw;
  }

  /** Sends what is queued and `statements` in one packet; the answers to `statements`, in order. */
  async queryAll(statements: Statement[]): Promise<unknown[]> {
    const batch = [...this.queued, ...statements];
    this.queued = [];
    if (batch.some((s) => s.sql === 'START TRANSACTION')) this.begun = true;
    return (await this.sendBatch(batch)).slice(batch.length - statements.length);
  }

  /** One packet; one raw answer per statement. */
  private async sendBatch(batch: Statement[]): Promise<unknown[]> {
    const result = (await this.send(
      batch.map((s) => s.sql).join(';\n'),
      batch.flatMap((s) => s.params),
      true,
    )) as QueryResult;
    return batch.length === 1 ? [result.raw] : (result.raw as unknown[]);
  }
}

function toQueryResult(raw: unknown): QueryResult {
  const result = new QueryResult();
  result.raw = raw;
  if (Array.isArray(raw)) result.records = raw;
  const affected = (raw as { affectedRows?: number } | undefined)?.affectedRows;
  if (affected !== undefined) result.affected = affected;
  return result;
}

function isTransactionControl(sql: string): boolean {
  return sql === 'START TRANSACTION' || sql.startsWith('SET TRANSACTION ISOLATION LEVEL ');
}

const pipelines = new WeakMap<QueryRunner, StatementPipeline>();

/**
 * Runs `work` in a MySQL transaction on its own connection, with its statements pipelined (above).
 * The data source must allow multi-statement queries (`multipleStatements`, set in data-source.ts).
 */
export async function pipelinedTransaction<T>(
  dataSource: DataSource,
  isolation: IsolationLevel | undefined,
  work: (manager: EntityManager) => Promise<T>,
): Promise<T> {
  const runner = dataSource.createQueryRunner();
  const send = runner.query.bind(runner) as (
    sql: string,
    params: unknown[],
    structured: boolean,
  ) => Promise<unknown>;
  const pipeline = new StatementPipeline(send);
  runner.query = pipeline.query.bind(pipeline) as QueryRunner['query'];
  pipelines.set(runner, pipeline);
  try {
    return isolation === undefined
      ? await runner.manager.transaction(work)
      : await runner.manager.transaction(isolation, work);
  } finally {
    // A manager kept past its transaction then fails as before (released runner), never queues.
    pipelines.delete(runner);
    await runner.release();
  }
}

/** What a statement sent with `queryAll` answered: its rows (a read) or how many rows it changed (a write). */
export interface StatementResult {
  rows: Record<string, unknown>[];
  affected: number | undefined;
}

/**
 * Statements whose answers the transaction needs, sent together: in a pipelined transaction one
 * packet (with whatever was queued before them), elsewhere one after another. They run in order, so
 * a read after a locking read sees what the lock protects. Only inside a transaction.
 */
export async function queryAll(manager: EntityManager, statements: Statement[]): Promise<StatementResult[]> {
  const runner = manager.queryRunner;
  if (!runner) throw new Error('queryAll runs inside a transaction');
  const pipeline = pipelines.get(runner);
  if (pipeline) {
    return (await pipeline.queryAll(statements)).map((raw) => {
      const result = toQueryResult(raw);
      return { rows: result.records as Record<string, unknown>[], affected: result.affected };
    });
  }
  const results: StatementResult[] = [];
  for (const { sql, params } of statements) {
    const result = await runner.query(sql, params, true);
    results.push({ rows: (result.records ?? []) as Record<string, unknown>[], affected: result.affected });
  }
  return results;
}

/**
 * A write whose answer the transaction does not need. In a pipelined transaction it is queued and
 * sent with the transaction's next statement (at the latest with `COMMIT`), and any error it raises
 * is thrown there, failing the transaction. Anywhere else (SQLite, no transaction) it runs now.
 */
export async function deferWrite(manager: EntityManager, sql: string, params: unknown[]): Promise<void> {
  const pipeline = manager.queryRunner && pipelines.get(manager.queryRunner);
  if (pipeline) pipeline.defer(sql, params);
  else await manager.query(sql, params);
}

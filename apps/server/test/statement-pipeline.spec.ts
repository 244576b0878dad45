import { DataSource, EntityManager } from 'typeorm';
import { MysqlQueryRunner } from 'typeorm/driver/mysql/MysqlQueryRunner';
import { afterAll, beforeAll, beforeEach, expect, it, vi } from 'vitest';
import { dataSourceOptions } from '../src/database/data-source';
import { isUniqueViolation } from '../src/database/errors';
import { deferWrite, queryAll } from '../src/database/statement-pipeline';
import { runInTransaction } from '../src/database/transactions';
import { inDispatchTransaction } from '../src/dispatch/dispatch-transaction';
import { createTestDatabase } from './support/mysql';
import { describeEachDatabase } from './support/server';

// Transactions send their statements pipelined on MySQL (statement-pipeline.ts): BEGIN and deferred
// writes travel with the next statement. What commits must be exactly what statement-by-statement
// execution commits, on both databases.

describeEachDatabase('transactions with deferred writes', (db) => {
  let dataSource: DataSource;
  let drop = async () => {};

  beforeAll(async () => {
    let url = 'sqlite::memory:';
    if (db === 'mysql') {
      const database = await createTestDatabase();
      url = database.databaseUrl;
      drop = database.drop;
    }
    dataSource = new DataSource(dataSourceOptions(url));
    await dataSource.initialize();
    await dataSource.query('CREATE TABLE probe (id INT PRIMARY KEY, v VARCHAR(20) NOT NULL)');
  });

  afterAll(async () => {
    await dataSource?.destroy();
    await drop();
  });

  beforeEach(async () => {
    await dataSource.query('DELETE FROM probe');
  });

  const rows = async () =>
    ((await dataSource.query('SELECT id, v FROM probe ORDER BY id')) as { id: number; v: string }[]).map(
      (row) => [Number(row.id), row.v],
    );

  it('deferred writes run in order, before the statements that follow them', async () => {
    const seen = await runInTransaction(dataSource, async (manager) => {
      await deferWrite(manager, 'INSERT INTO probe (id, v) VALUES (?, ?)', [1, 'a']);
      await deferWrite(manager, 'UPDATE probe SET v = ? WHERE id = ?', ['b', 1]);
      const inside = await manager.query('SELECT v FROM probe WHERE id = ?', [1]);
      await deferWrite(manager, 'INSERT INTO probe (id, v) VALUES (?, ?)', [2, 'c']);
      return inside;
    });
    expect(seen).toEqual([{ v: 'b' }]);
    expect(await rows()).toEqual([
      [1, 'b'],
      [2, 'c'],
    ]);
  });

  it('a deferred write that fails at COMMIT fails the transaction, and nothing of it is kept', async () => {
    await dataSource.query('INSERT INTO probe (id, v) VALUES (9, ?)', ['taken']);
    const failed = await inDispatchTransaction(dataSource, async (manager) => {
      await manager.query('INSERT INTO probe (id, v) VALUES (?, ?)', [1, 'before']);
      await deferWrite(manager, 'INSERT INTO probe (id, v) VALUES (?, ?)', [2, 'deferred']);
      // Its error can only surface when it is sent: with the COMMIT.
      await deferWrite(manager, 'INSERT INTO probe (id, v) VALUES (?, ?)', [9, 'duplicate']);
    }).catch((error: unknown) => error);
    expect(isUniqueViolation(failed)).toBe(true);
    expect(await rows()).toEqual([[9, 'taken']]);
  });

  it('work that throws after deferring writes commits none of them', async () => {
    const failed = await runInTransaction(dataSource, async (manager) => {
      await deferWrite(manager, 'INSERT INTO probe (id, v) VALUES (?, ?)', [1, 'never']);
      throw new Error('changed my mind');
    }).catch((error: unknown) => error);
    expect((failed as Error).message).toBe('changed my mind');
    expect(await rows()).toEqual([]);
    // The connection went back to the pool clean: the next transaction is not inside the old one.
    await runInTransaction(dataSource, (manager) =>
      deferWrite(manager, 'INSERT INTO probe (id, v) VALUES (?, ?)', [3, 'next']),
    );
    expect(await rows()).toEqual([[3, 'next']]);
  });

  it('queryAll answers each statement in order: rows for a read, the changed-row count for a write', async () => {
    await dataSource.query("INSERT INTO probe (id, v) VALUES (1, 'a'), (2, 'b'), (3, 'c')");
    const [updated, read, none] = await runInTransaction(dataSource, async (manager) => {
      await deferWrite(manager, 'INSERT INTO probe (id, v) VALUES (?, ?)', [4, 'd']);
      return queryAll(manager, [
        { sql: 'UPDATE probe SET v = ? WHERE id IN (?, ?)', params: ['x', 1, 4] },
        { sql: 'SELECT id, v FROM probe WHERE v = ? ORDER BY id', params: ['x'] },
        { sql: 'SELECT id FROM probe WHERE id > ?', params: [99] },
      ]);
    });
    expect(updated!.affected).toBe(2);
    expect(read!.rows.map((row) => [Number(row.id), row.v])).toEqual([
      [1, 'x'],
      [4, 'x'],
    ]);
    expect(none!.rows).toEqual([]);
    await expect(queryAll(dataSource.manager, [{ sql: 'SELECT 1', params: [] }])).rejects.toThrow(
      /inside a transaction/,
    );
  });

  if (db === 'mysql') {
    it('on MySQL, a write through a manager kept past its transaction fails (released runner) instead of being queued for nothing', async () => {
      let kept: EntityManager | undefined;
      await runInTransaction(dataSource, async (manager) => {
        kept = manager;
        await manager.query('SELECT 1');
      });
      await expect(
        deferWrite(kept!, 'INSERT INTO probe (id, v) VALUES (?, ?)', [5, 'late']),
      ).rejects.toThrow();
      expect(await rows()).toEqual([]);
    });

    it('on MySQL, BEGIN and deferred writes share packets: a read-and-write transaction is two round trips', async () => {
      const sent = vi.spyOn(MysqlQueryRunner.prototype, 'query');
      try {
        await inDispatchTransaction(dataSource, async (manager) => {
          await deferWrite(manager, 'INSERT INTO probe (id, v) VALUES (?, ?)', [1, 'a']);
          await manager.query('SELECT COUNT(*) AS n FROM probe');
          await deferWrite(manager, 'INSERT INTO probe (id, v) VALUES (?, ?)', [2, 'b']);
          await deferWrite(manager, 'INSERT INTO probe (id, v) VALUES (?, ?)', [3, 'c']);
        });
        // SET TRANSACTION + START + INSERT + SELECT, then INSERT + INSERT + COMMIT.
        expect(sent).toHaveBeenCalledTimes(2);
        expect(sent.mock.calls[0]![0]).toMatch(
          /^SET TRANSACTION ISOLATION LEVEL READ COMMITTED;\s*START TRANSACTION;/,
        );
        expect(sent.mock.calls[1]![0]).toMatch(/;\s*COMMIT$/);
        sent.mockClear();
        sent.mockClear();
        // queryAll: BEGIN, a deferred write and two reads in one packet, then the COMMIT.
        await inDispatchTransaction(dataSource, async (manager) => {
          await deferWrite(manager, 'INSERT INTO probe (id, v) VALUES (?, ?)', [4, 'd']);
          await queryAll(manager, [
            { sql: 'SELECT COUNT(*) AS n FROM probe', params: [] },
            { sql: 'SELECT v FROM probe WHERE id = ?', params: [4] },
          ]);
        });
        expect(sent).toHaveBeenCalledTimes(2);
        await dataSource.query('DELETE FROM probe WHERE id = 4');
        sent.mockClear();
        // A transaction that sends nothing costs no round trip at all.
        await runInTransaction(dataSource, async () => undefined);
        expect(sent).not.toHaveBeenCalled();
      } finally {
        sent.mockRestore();
      }
      expect(await rows()).toEqual([
        [1, 'a'],
        [2, 'b'],
        [3, 'c'],
      ]);
    });

    it('on MySQL, a failure inside a shared packet stops it: the COMMIT sent with the failed write never runs', async () => {
      await dataSource.query('INSERT INTO probe (id, v) VALUES (9, ?)', ['taken']);
      const failed = await runInTransaction(dataSource, async (manager) => {
        // One packet: START, INSERT 1, INSERT 9 (fails), INSERT 2, COMMIT.
        await deferWrite(manager, 'INSERT INTO probe (id, v) VALUES (?, ?)', [1, 'x']);
        await deferWrite(manager, 'INSERT INTO probe (id, v) VALUES (?, ?)', [9, 'duplicate']);
        await deferWrite(manager, 'INSERT INTO probe (id, v) VALUES (?, ?)', [2, 'y']);
      }).catch((error: unknown) => error);
      expect(isUniqueViolation(failed)).toBe(true);
      expect(await rows()).toEqual([[9, 'taken']]);
    });
  }
});

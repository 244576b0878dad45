import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDatabase, startServer, type TestServer } from '../../test/support/server';
import { runInTransaction } from '../database/transactions';
import { inDispatchTransaction } from './dispatch-transaction';

describeEachDatabase('dispatch transactions', (db) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({ database: db });
    await server.dataSource.query('CREATE TABLE isolation_probe (n INTEGER NOT NULL)');
  });
  afterAll(() => server?.close());

  const count = async (query: (sql: string) => Promise<Array<{ n: number | string }>>) =>
    Number((await query('SELECT COUNT(*) AS n FROM isolation_probe'))[0]!.n);

  it('commits the work and returns its result, and rolls back what throws', async () => {
    const result = await inDispatchTransaction(server.dataSource, async (manager) => {
      await manager.query('INSERT INTO isolation_probe (n) VALUES (1)');
      return 'done';
    });
    expect(result).toBe('done');
    await expect(
      inDispatchTransaction(server.dataSource, async (manager) => {
        await manager.query('INSERT INTO isolation_probe (n) VALUES (2)');
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(await server.dataSource.query('SELECT n FROM isolation_probe')).toEqual([{ n: 1 }]);
    await server.dataSource.query('DELETE FROM isolation_probe');
  });

  if (db === 'mysql') {
    it('reads what others committed meanwhile (READ COMMITTED), every time on a reused connection', async () => {
      for (let round = 0; round < 8; round++) {
        const seen = await inDispatchTransaction(server.dataSource, async (manager) => {
          const before = await count((sql) => manager.query(sql));
          await server.dataSource.query('INSERT INTO isolation_probe (n) VALUES (1)');
          return [before, await count((sql) => manager.query(sql))];
        });
        expect(seen[1]).toBe(seen[0]! + 1);
      }
    });

    it('leaves every other transaction at the default level (REPEATABLE READ)', async () => {
      // Dispatch transactions first, so a pooled connection they touched would be reused here if shared.
      await Promise.all(
        Array.from({ length: 6 }, () => inDispatchTransaction(server.dataSource, (m) => m.query('SELECT 1'))),
      );
      for (let round = 0; round < 12; round++) {
        const seen = await runInTransaction(server.dataSource, async (manager) => {
          const before = await count((sql) => manager.query(sql));
          await inDispatchTransaction(server.dataSource, (m) =>
            m.query('INSERT INTO isolation_probe (n) VALUES (1)'),
          );
          return [before, await count((sql) => manager.query(sql))];
        });
        expect(seen[1]).toBe(seen[0]);
      }
    });
  }
});

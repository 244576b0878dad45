import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { afterEach, expect, it } from 'vitest';
import { dataSourceOptions } from './data-source';

let dir: string | undefined;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

// "Nothing accepted is ever lost": on the embedded default a commit is on disk before the 202.
it('opens a SQLite file in WAL mode with every commit synced (synchronous = FULL)', async () => {
  dir = mkdtempSync(join(tmpdir(), 'acme-sqlite-'));
  const dataSource = new DataSource(dataSourceOptions(`sqlite:${join(dir, 'hooks.sqlite')}`));
  await dataSource.initialize();
  try {
    expect(await dataSource.query('PRAGMA journal_mode')).toEqual([{ journal_mode: 'wal' }]);
    // 2 = FULL (1 = NORMAL: a commit could be lost to a power cut).
    expect(await dataSource.query('PRAGMA synchronous')).toEqual([{ synchronous: 2 }]);
  } finally {
    await dataSource.destroy();
  }
});

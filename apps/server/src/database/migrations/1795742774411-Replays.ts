import { MigrationInterface, QueryRunner, Table, TableColumnOptions, TableIndex } from 'typeorm';

/**
 * The `replays` table: one row per endpoint replay, holding its window, filters and progress
 * (`last_event_id` is the keyset cursor), so a replay resumes where it stopped after a restart.
 */
export class Replays1795742774411 implements MigrationInterface {
  name = 'Replays1795742774411';

  async up(queryRunner: QueryRunner): Promise<void> {
    const mysql = queryRunner.connection.driver.options.type !== 'better-sqlite3';
    const text = mysql ? { charset: 'utf8mb4', collation: 'utf8mb4_bin' } : {};
    const string = (name: string, length: number, isNullable = false): TableColumnOptions => ({
      name,
      type: 'varchar',
      length: String(length),
      isNullable,
      ...text,
    });
    const date = (name: string, isNullable = false): TableColumnOptions => ({
      name,
      type: 'datetime',
      ...(mysql ? { precision: 3 } : {}),
      isNullable,
    });
    const int = (name: string): TableColumnOptions => ({ name, type: 'int', isNullable: false, default: 0 });

    await queryRunner.createTable(
      new Table({
        name: 'replays',
        columns: [
          { ...string('id', 40), isPrimary: true },
          string('tenant_id', 100),
          string('endpoint_id', 40),
          string('status', 16),
          // `since`/`until` and `cursor` are reserved words in MySQL, hence these names.
          date('window_since'),
          date('window_until'),
          { name: 'types', type: 'text', isNullable: true, ...text },
          string('mode', 16),
          { name: 'dry_run', type: 'boolean', isNullable: false, default: false },
          int('matched'),
          int('enqueued'),
          string('last_event_id', 40, true),
          string('error', 500, true),
          string('lease_owner', 64, true),
          date('lease_expires_at', true),
          date('created_at'),
          date('updated_at'),
          date('completed_at', true),
        ],
        indices: [
          // The runner's pick-up query: running replays whose lease is free.
          new TableIndex({ name: 'idx_replays_status_lease', columnNames: ['status', 'lease_expires_at'] }),
          new TableIndex({ name: 'idx_replays_endpoint', columnNames: ['endpoint_id', 'id'] }),
          new TableIndex({ name: 'idx_replays_created_at', columnNames: ['created_at'] }),
        ],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('replays');
  }
}

import { MigrationInterface, QueryRunner, Table, TableIndex } from 'typeorm';
import { columnsFor } from './1795742370281-Initial';

/**
 * `endpoint_rate_starts`: the shared sliding window of `rate_limit_per_second` (one row per claim
 * round that started attempts to a rate-limited endpoint), so the limit holds across workers
 * instead of per process.
 */
export class EndpointRateStarts1796000000000 implements MigrationInterface {
  name = 'EndpointRateStarts1796000000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const { string, int } = columnsFor(queryRunner);
    await queryRunner.createTable(
      new Table({
        name: 'endpoint_rate_starts',
        columns: [
          { ...string('endpoint_id', 40), isPrimary: true },
          { ...string('claim', 64), isPrimary: true },
          { name: 'started_at_ms', type: 'bigint', isNullable: false },
          int('starts'),
        ],
        indices: [
          // The claim's first read: every endpoint whose window is full right now.
          new TableIndex({ name: 'idx_endpoint_rate_starts_started_at', columnNames: ['started_at_ms'] }),
        ],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('endpoint_rate_starts');
  }
}

import { MigrationInterface, QueryRunner, TableIndex } from 'typeorm';

/**
 * An endpoint's open deliveries by due time: a handoff at publish asks whether the endpoint already
 * has a delivery due (a backlog, which a claim drains first), one probe of this index per endpoint
 * that stops at the first match, instead of a scan of every open delivery of the endpoint (retries
 * scheduled for hours later included). It replaces `(endpoint_id, status)`, its prefix.
 */
export class DeliveryEndpointDueIndex1796100000000 implements MigrationInterface {
  name = 'DeliveryEndpointDueIndex1796100000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createIndex(
      'deliveries',
      new TableIndex({
        name: 'idx_deliveries_endpoint_due',
        columnNames: ['endpoint_id', 'status', 'next_attempt_at'],
      }),
    );
    await queryRunner.dropIndex('deliveries', 'idx_deliveries_endpoint');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createIndex(
      'deliveries',
      new TableIndex({ name: 'idx_deliveries_endpoint', columnNames: ['endpoint_id', 'status'] }),
    );
    await queryRunner.dropIndex('deliveries', 'idx_deliveries_endpoint_due');
  }
}

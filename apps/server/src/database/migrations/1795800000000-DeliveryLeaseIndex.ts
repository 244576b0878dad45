import { MigrationInterface, QueryRunner, TableIndex } from 'typeorm';

/**
 * Live leases by expiry: the claim counts in-flight deliveries per endpoint
 * (`lease_expires_at > now`), which without this index scanned the whole open queue twice per
 * claim round. Covering (status, endpoint) so the count never reads the rows.
 */
export class DeliveryLeaseIndex1795800000000 implements MigrationInterface {
  name = 'DeliveryLeaseIndex1795800000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createIndex(
      'deliveries',
      new TableIndex({
        name: 'idx_deliveries_lease',
        columnNames: ['lease_expires_at', 'status', 'endpoint_id'],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropIndex('deliveries', 'idx_deliveries_lease');
  }
}

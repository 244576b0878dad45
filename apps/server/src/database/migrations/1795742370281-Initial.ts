import { MigrationInterface, QueryRunner, Table, TableColumnOptions, TableIndex } from 'typeorm';

/** Column builders for the two dialects: same names and meaning, each dialect's natural types. */
export function columnsFor(queryRunner: QueryRunner) {
  const mysql = queryRunner.connection.driver.options.type !== 'better-sqlite3';
  // Binary collation: ids, tenants and event types compare exactly (`Acme` is not `acme`).
  const text = mysql ? { charset: 'utf8mb4', collation: 'utf8mb4_bin' } : {};
  return {
    string: (name: string, length: number, extra: Partial<TableColumnOptions> = {}): TableColumnOptions => ({
      name,
      type: 'varchar',
      length: String(length),
      isNullable: false,
      ...text,
      ...extra,
    }),
    /** JSON text up to 64 KiB (endpoint settings, headers). */
    json: (name: string, extra: Partial<TableColumnOptions> = {}): TableColumnOptions => ({
      name,
      type: 'text',
      isNullable: false,
      ...text,
      ...extra,
    }),
    /** Large text: event payloads (up to WEBHOOKS_MAX_PAYLOAD_BYTES) and response bodies. */
    largeText: (name: string, extra: Partial<TableColumnOptions> = {}): TableColumnOptions => ({
      name,
      type: mysql ? 'mediumtext' : 'text',
      isNullable: false,
      ...text,
      ...extra,
    }),
    int: (name: string, extra: Partial<TableColumnOptions> = {}): TableColumnOptions => ({
      name,
      type: 'int',
      isNullable: false,
      ...extra,
    }),
    date: (name: string, extra: Partial<TableColumnOptions> = {}): TableColumnOptions => ({
      name,
      type: 'datetime',
      ...(mysql ? { precision: 3 } : {}),
      isNullable: false,
      ...extra,
    }),
    bool: (name: string): TableColumnOptions => ({
      name,
      type: 'boolean',
      isNullable: false,
      default: false,
    }),
  };
}

const nullable = { isNullable: true } as const;
const primary = { isPrimary: true } as const;

export class Initial1795742370281 implements MigrationInterface {
  name = 'Initial1795742370281';

  async up(queryRunner: QueryRunner): Promise<void> {
    const c = columnsFor(queryRunner);

    await queryRunner.createTable(
      new Table({
        name: 'endpoints',
        columns: [
          c.string('id', 40, primary),
          c.string('tenant_id', 100),
          c.string('url', 2048),
          c.json('events'),
          c.string('description', 500, nullable),
          c.string('status', 16),
          c.string('disabled_reason', 16, nullable),
          c.date('disabled_at', nullable),
          c.json('headers'),
          c.json('metadata'),
          c.int('max_concurrency'),
          c.int('rate_limit_per_second', nullable),
          c.string('secret_key_id', 32),
          c.string('secret_ciphertext', 255),
          c.string('previous_secret_ciphertext', 255, nullable),
          c.date('previous_secret_expires_at', nullable),
          c.int('consecutive_failures', { default: 0 }),
          c.date('failing_since', nullable),
          c.date('deleted_at', nullable),
          c.date('created_at'),
          c.date('updated_at'),
        ],
        indices: [new TableIndex({ name: 'idx_endpoints_tenant_id', columnNames: ['tenant_id', 'id'] })],
      }),
    );

    await queryRunner.createTable(
      new Table({
        name: 'events',
        columns: [
          c.string('id', 40, primary),
          c.string('tenant_id', 100),
          c.string('type', 200),
          c.largeText('payload'),
          c.date('created_at'),
        ],
        indices: [
          new TableIndex({ name: 'idx_events_tenant_id', columnNames: ['tenant_id', 'id'] }),
          new TableIndex({ name: 'idx_events_tenant_type', columnNames: ['tenant_id', 'type'] }),
          new TableIndex({ name: 'idx_events_created_at', columnNames: ['created_at'] }),
        ],
      }),
    );

    await queryRunner.createTable(
      new Table({
        name: 'idempotency_keys',
        columns: [
          c.string('tenant_id', 100, primary),
          c.string('key', 255, primary),
          c.string('request_hash', 64),
          c.string('event_id', 40),
          c.date('created_at'),
        ],
        indices: [new TableIndex({ name: 'idx_idempotency_keys_created_at', columnNames: ['created_at'] })],
      }),
    );

    await queryRunner.createTable(
      new Table({
        name: 'deliveries',
        columns: [
          c.string('id', 40, primary),
          c.string('event_id', 40),
          c.string('endpoint_id', 40),
          c.string('tenant_id', 100),
          c.string('status', 16),
          c.string('trigger', 16),
          c.int('attempts', { default: 0 }),
          c.date('next_attempt_at', nullable),
          c.string('lease_owner', 64, nullable),
          c.date('lease_expires_at', nullable),
          c.date('last_attempt_at', nullable),
          c.int('last_status_code', nullable),
          c.string('last_error', 32, nullable),
          c.date('created_at'),
          c.date('updated_at'),
        ],
        indices: [
          // The claim query: due, unsettled deliveries.
          new TableIndex({ name: 'idx_deliveries_due', columnNames: ['status', 'next_attempt_at'] }),
          new TableIndex({ name: 'idx_deliveries_event', columnNames: ['event_id', 'endpoint_id'] }),
          new TableIndex({ name: 'idx_deliveries_endpoint', columnNames: ['endpoint_id', 'status'] }),
          new TableIndex({ name: 'idx_deliveries_tenant_id', columnNames: ['tenant_id', 'id'] }),
          new TableIndex({ name: 'idx_deliveries_created_at', columnNames: ['created_at'] }),
        ],
      }),
    );

    await queryRunner.createTable(
      new Table({
        name: 'attempts',
        columns: [
          c.string('id', 40, primary),
          c.string('delivery_id', 40),
          c.string('endpoint_id', 40),
          c.string('tenant_id', 100),
          c.int('attempt_number'),
          c.string('trigger', 16),
          c.date('started_at'),
          c.int('duration_ms'),
          c.string('request_url', 2048),
          c.json('request_headers'),
          c.int('response_status', nullable),
          c.json('response_headers', nullable),
          c.largeText('response_body', nullable),
          c.bool('response_body_truncated'),
          c.string('error_code', 32, nullable),
          c.string('error_message', 1000, nullable),
        ],
        indices: [
          new TableIndex({
            name: 'uq_attempts_delivery_number',
            columnNames: ['delivery_id', 'attempt_number'],
            isUnique: true,
          }),
          // Endpoint stats over a time window.
          new TableIndex({
            name: 'idx_attempts_endpoint_started',
            columnNames: ['endpoint_id', 'started_at'],
          }),
          new TableIndex({ name: 'idx_attempts_started_at', columnNames: ['started_at'] }),
        ],
      }),
    );

    await queryRunner.createTable(
      new Table({
        name: 'api_keys',
        columns: [
          c.string('id', 40, primary),
          c.string('tenant_id', 100),
          c.string('name', 200),
          c.string('key_hash', 64),
          c.date('last_used_at', nullable),
          c.date('revoked_at', nullable),
          c.date('created_at'),
        ],
        indices: [
          new TableIndex({ name: 'uq_api_keys_key_hash', columnNames: ['key_hash'], isUnique: true }),
          new TableIndex({ name: 'idx_api_keys_tenant', columnNames: ['tenant_id', 'id'] }),
        ],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const table of ['api_keys', 'attempts', 'deliveries', 'idempotency_keys', 'events', 'endpoints']) {
      await queryRunner.dropTable(table);
    }
  }
}

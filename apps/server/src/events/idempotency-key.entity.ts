import { Column, Entity, PrimaryColumn } from 'typeorm';
import { dateColumn } from '../database/columns';

/** One `Idempotency-Key` of one tenant: the primary key makes two racing publishes collide. */
@Entity({ name: 'idempotency_keys' })
export class IdempotencyKey {
  @PrimaryColumn({ name: 'tenant_id', type: 'varchar', length: 100 })
  tenantId: string;

  @PrimaryColumn({ type: 'varchar', length: 255 })
  key: string;

  /** SHA-256 of the canonical request body, to tell a retry from a different request. */
  @Column({ name: 'request_hash', type: 'varchar', length: 64 })
  requestHash: string;

  @Column({ name: 'event_id', type: 'varchar', length: 40 })
  eventId: string;

  @Column(dateColumn('created_at'))
  createdAt: Date;
}

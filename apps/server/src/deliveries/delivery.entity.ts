import { Column, Entity, PrimaryColumn } from 'typeorm';
import { dateColumn } from '../database/columns';

export type DeliveryStatus = 'pending' | 'retrying' | 'succeeded' | 'dead' | 'cancelled';
export type DeliveryTrigger = 'event' | 'replay' | 'test';
export const DELIVERY_STATUSES: readonly DeliveryStatus[] = [
  'pending',
  'retrying',
  'succeeded',
  'dead',
  'cancelled',
];
export const DELIVERY_TRIGGERS: readonly DeliveryTrigger[] = ['event', 'replay', 'test'];

/** One event owed to one endpoint: the outbox row a worker claims, attempts, and settles. */
@Entity({ name: 'deliveries' })
export class Delivery {
  @PrimaryColumn({ type: 'varchar', length: 40 })
  id: string;

  @Column({ name: 'event_id', type: 'varchar', length: 40 })
  eventId: string;

  @Column({ name: 'endpoint_id', type: 'varchar', length: 40 })
  endpointId: string;

  @Column({ name: 'tenant_id', type: 'varchar', length: 100 })
  tenantId: string;

  @Column({ type: 'varchar', length: 16 })
  status: DeliveryStatus;

  @Column({ type: 'varchar', length: 16 })
  trigger: DeliveryTrigger;

  /** Attempts made so far. */
  @Column({ type: 'int', default: 0 })
  attempts: number;

  /** When the next attempt is due; null once the delivery is settled (succeeded, dead, cancelled). */
  @Column(dateColumn('next_attempt_at', { nullable: true }))
  nextAttemptAt: Date | null;

  /** The worker holding the claim, and until when; an expired lease makes the delivery claimable again. */
  @Column({ name: 'lease_owner', type: 'varchar', length: 64, nullable: true })
  leaseOwner: string | null;

  @Column(dateColumn('lease_expires_at', { nullable: true }))
  leaseExpiresAt: Date | null;

  @Column(dateColumn('last_attempt_at', { nullable: true }))
  lastAttemptAt: Date | null;

  @Column({ name: 'last_status_code', type: 'int', nullable: true })
  lastStatusCode: number | null;

  /** An error code of §3 (`timeout`, `http_status`, …) or null. */
  @Column({ name: 'last_error', type: 'varchar', length: 32, nullable: true })
  lastError: string | null;

  @Column(dateColumn('created_at'))
  createdAt: Date;

  @Column(dateColumn('updated_at'))
  updatedAt: Date;
}

import { Column, Entity, PrimaryColumn } from 'typeorm';
import { dateColumn } from '../database/columns';

export type AttemptTrigger = 'scheduled' | 'manual';

/** One HTTP request of a delivery and what came back (or the error code when nothing did). */
@Entity({ name: 'attempts' })
export class Attempt {
  @PrimaryColumn({ type: 'varchar', length: 40 })
  id: string;

  @Column({ name: 'delivery_id', type: 'varchar', length: 40 })
  deliveryId: string;

  @Column({ name: 'endpoint_id', type: 'varchar', length: 40 })
  endpointId: string;

  @Column({ name: 'tenant_id', type: 'varchar', length: 100 })
  tenantId: string;

  /** 1-based position within the delivery. */
  @Column({ name: 'attempt_number', type: 'int' })
  attemptNumber: number;

  @Column({ type: 'varchar', length: 16 })
  trigger: AttemptTrigger;

  @Column(dateColumn('started_at'))
  startedAt: Date;

  @Column({ name: 'duration_ms', type: 'int' })
  durationMs: number;

  @Column({ name: 'request_url', type: 'varchar', length: 2048 })
  requestUrl: string;

  @Column({ name: 'request_headers', type: 'simple-json' })
  requestHeaders: Record<string, string>;

  @Column({ name: 'response_status', type: 'int', nullable: true })
  responseStatus: number | null;

  @Column({ name: 'response_headers', type: 'simple-json', nullable: true })
  responseHeaders: Record<string, string> | null;

  /** Up to 16 KiB of the response body. */
  @Column({ name: 'response_body', type: 'text', nullable: true })
  responseBody: string | null;

  @Column({ name: 'response_body_truncated', type: 'boolean', default: false })
  responseBodyTruncated: boolean;

  @Column({ name: 'error_code', type: 'varchar', length: 32, nullable: true })
  errorCode: string | null;

  @Column({ name: 'error_message', type: 'varchar', length: 1000, nullable: true })
  errorMessage: string | null;
}

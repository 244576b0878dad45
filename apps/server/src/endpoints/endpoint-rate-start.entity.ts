import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * Scheduled attempts started to an endpoint with a `rate_limit_per_second`, one row per claim round
 * that started any: the sliding window every worker counts under the endpoint's lock, so the limit
 * holds across worker processes (dispatch/rate-limiter.ts). Rows older than the window are deleted
 * by the next claim of the endpoint.
 */
@Entity({ name: 'endpoint_rate_starts' })
@Index('idx_endpoint_rate_starts_started_at', ['startedAtMs'])
export class EndpointRateStart {
  @PrimaryColumn({ name: 'endpoint_id', type: 'varchar', length: 40 })
  endpointId: string;

  /** The claim round's lease token (unique per round). */
  @PrimaryColumn({ type: 'varchar', length: 64 })
  claim: string;

  /** When the claim started them: milliseconds since the epoch, by the claiming worker's clock. */
  @Column({ name: 'started_at_ms', type: 'bigint' })
  startedAtMs: number;

  @Column({ type: 'int' })
  starts: number;
}

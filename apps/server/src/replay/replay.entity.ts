import { Column, Entity, PrimaryColumn } from 'typeorm';
import { dateColumn } from '../database/columns';

export type ReplayStatus = 'running' | 'completed' | 'failed';
/** `undelivered`: only events with no succeeded delivery to the endpoint; `all`: every event. */
export type ReplayMode = 'undelivered' | 'all';
export const REPLAY_MODES: readonly ReplayMode[] = ['undelivered', 'all'];

/**
 * One endpoint replay: which events (window, types, mode) and how far it got. The runner walks the
 * window by event id (`lastEventId` is the keyset cursor) and holds a lease while it works, so after
 * a crash or restart another process picks the replay up where it stopped.
 */
@Entity({ name: 'replays' })
export class Replay {
  @PrimaryColumn({ type: 'varchar', length: 40 })
  id: string;

  @Column({ name: 'tenant_id', type: 'varchar', length: 100 })
  tenantId: string;

  @Column({ name: 'endpoint_id', type: 'varchar', length: 40 })
  endpointId: string;

  @Column({ type: 'varchar', length: 16 })
  status: ReplayStatus;

  /** Window start, included. */
  @Column(dateColumn('window_since'))
  since: Date;

  /** Window end, included (the request's `until`, or the time the replay was made). */
  @Column(dateColumn('window_until'))
  until: Date;

  /** Event types or patterns to restrict to, on top of the endpoint's subscription; null = all. */
  @Column({ type: 'simple-json', nullable: true })
  types: string[] | null;

  @Column({ type: 'varchar', length: 16 })
  mode: ReplayMode;

  @Column({ name: 'dry_run', type: 'boolean', default: false })
  dryRun: boolean;

  /** Events the replay matched when it was made. */
  @Column({ type: 'int', default: 0 })
  matched: number;

  /** Deliveries made so far. */
  @Column({ type: 'int', default: 0 })
  enqueued: number;

  /** The last event id looked at; the next batch starts above it. */
  @Column({ name: 'last_event_id', type: 'varchar', length: 40, nullable: true })
  lastEventId: string | null;

  /** Why a replay failed (its endpoint was deleted or disabled meanwhile). */
  @Column({ type: 'varchar', length: 500, nullable: true })
  error: string | null;

  @Column({ name: 'lease_owner', type: 'varchar', length: 64, nullable: true })
  leaseOwner: string | null;

  @Column(dateColumn('lease_expires_at', { nullable: true }))
  leaseExpiresAt: Date | null;

  @Column(dateColumn('created_at'))
  createdAt: Date;

  @Column(dateColumn('updated_at'))
  updatedAt: Date;

  @Column(dateColumn('completed_at', { nullable: true }))
  completedAt: Date | null;
}

import { Column, Entity, PrimaryColumn } from 'typeorm';
import { dateColumn } from '../database/columns';

export type EndpointStatus = 'enabled' | 'disabled';
/** Why an endpoint is disabled: by a user, by a 410 Gone answer, or by the failure-streak rule (§4). */
export type DisabledReason = 'manual' | 'gone' | 'failing';

@Entity({ name: 'endpoints' })
export class Endpoint {
  @PrimaryColumn({ type: 'varchar', length: 40 })
  id: string;

  @Column({ name: 'tenant_id', type: 'varchar', length: 100 })
  tenantId: string;

  @Column({ type: 'varchar', length: 2048 })
  url: string;

  /** Subscribed event types: exact (`invoice.paid`), prefix wildcard (`invoice.*`) or `*`. */
  @Column({ type: 'simple-json' })
  events: string[];

  @Column({ type: 'varchar', length: 500, nullable: true })
  description: string | null;

  @Column({ type: 'varchar', length: 16 })
  status: EndpointStatus;

  @Column({ name: 'disabled_reason', type: 'varchar', length: 16, nullable: true })
  disabledReason: DisabledReason | null;

  @Column(dateColumn('disabled_at', { nullable: true }))
  disabledAt: Date | null;

  /** Extra request headers sent with every delivery (never a reserved one, see endpoint-rules.ts). */
  @Column({ type: 'simple-json' })
  headers: Record<string, string>;

  @Column({ type: 'simple-json' })
  metadata: Record<string, string>;

  @Column({ name: 'max_concurrency', type: 'int' })
  maxConcurrency: number;

  @Column({ name: 'rate_limit_per_second', type: 'int', nullable: true })
  rateLimitPerSecond: number | null;

  /** Id of the encryption key that sealed the secrets below (so keys can be rotated). */
  @Column({ name: 'secret_key_id', type: 'varchar', length: 32 })
  secretKeyId: string;

  /** The current `whsec_…` secret, AES-256-GCM sealed; read it through EndpointSecrets. */
  @Column({ name: 'secret_ciphertext', type: 'varchar', length: 255 })
  secretCiphertext: string;

  /** The secret before the last rotation, still signing until `previousSecretExpiresAt`. */
  @Column({ name: 'previous_secret_ciphertext', type: 'varchar', length: 255, nullable: true })
  previousSecretCiphertext: string | null;

  @Column(dateColumn('previous_secret_expires_at', { nullable: true }))
  previousSecretExpiresAt: Date | null;

  /** Failed attempts in a row (non-test); any success resets it. */
  @Column({ name: 'consecutive_failures', type: 'int', default: 0 })
  consecutiveFailures: number;

  /** Start of the current failure streak, or null. */
  @Column(dateColumn('failing_since', { nullable: true }))
  failingSince: Date | null;

  /** Soft delete: the row stays so event and delivery history keep their endpoint. */
  @Column(dateColumn('deleted_at', { nullable: true }))
  deletedAt: Date | null;

  @Column(dateColumn('created_at'))
  createdAt: Date;

  @Column(dateColumn('updated_at'))
  updatedAt: Date;
}

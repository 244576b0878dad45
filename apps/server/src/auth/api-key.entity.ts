import { Column, Entity, PrimaryColumn } from 'typeorm';
import { dateColumn } from '../database/columns';

/** A tenant API key. Only its SHA-256 hash is stored; the key itself is shown once at creation. */
@Entity({ name: 'api_keys' })
export class ApiKey {
  @PrimaryColumn({ type: 'varchar', length: 40 })
  id: string;

  @Column({ name: 'tenant_id', type: 'varchar', length: 100 })
  tenantId: string;

  @Column({ type: 'varchar', length: 200 })
  name: string;

  /** Hex SHA-256 of the key. */
  @Column({ name: 'key_hash', type: 'varchar', length: 64 })
  keyHash: string;

  /** Updated at most once a minute per key. */
  @Column(dateColumn('last_used_at', { nullable: true }))
  lastUsedAt: Date | null;

  @Column(dateColumn('revoked_at', { nullable: true }))
  revokedAt: Date | null;

  @Column(dateColumn('created_at'))
  createdAt: Date;
}

import { Column, Entity, PrimaryColumn } from 'typeorm';
import { dateColumn } from '../database/columns';

@Entity({ name: 'events' })
export class WebhookEvent {
  @PrimaryColumn({ type: 'varchar', length: 40 })
  id: string;

  @Column({ name: 'tenant_id', type: 'varchar', length: 100 })
  tenantId: string;

  @Column({ type: 'varchar', length: 200 })
  type: string;

  /**
   * The exact request body of every delivery of this event, serialized once at publish:
   * `{"id","type","created_at","data"}`. Signatures are computed over these bytes.
   */
  @Column({ type: 'text' })
  payload: string;

  @Column(dateColumn('created_at'))
  createdAt: Date;
}

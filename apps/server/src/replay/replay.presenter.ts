import { ReplayDto } from './replay.dto';
import { Replay } from './replay.entity';

export function presentReplay(replay: Replay): ReplayDto {
  return {
    id: replay.id,
    status: replay.status,
    matched: replay.matched,
    enqueued: replay.enqueued,
    endpoint_id: replay.endpointId,
    tenant_id: replay.tenantId,
    since: replay.since.toISOString(),
    until: replay.until.toISOString(),
    types: replay.types,
    only: replay.mode,
    dry_run: replay.dryRun,
    error: replay.error,
    created_at: replay.createdAt.toISOString(),
    updated_at: replay.updatedAt.toISOString(),
    completed_at: replay.completedAt?.toISOString() ?? null,
  };
}

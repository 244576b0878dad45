import { EventDto } from './event.dto';
import { WebhookEvent } from './event.entity';

export function presentEvent(event: WebhookEvent): EventDto {
  const payload = JSON.parse(event.payload) as { data: Record<string, unknown> };
  return {
    id: event.id,
    type: event.type,
    tenant_id: event.tenantId,
    created_at: event.createdAt.toISOString(),
    data: payload.data,
  };
}

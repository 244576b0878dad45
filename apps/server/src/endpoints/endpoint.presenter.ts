import { EndpointDto } from './endpoint.dto';
import { Endpoint } from './endpoint.entity';

export function presentEndpoint(endpoint: Endpoint): EndpointDto {
  return {
    id: endpoint.id,
    url: endpoint.url,
    events: endpoint.events,
    description: endpoint.description,
    tenant_id: endpoint.tenantId,
    status: endpoint.status,
    disabled_reason: endpoint.disabledReason,
    headers: endpoint.headers,
    metadata: endpoint.metadata,
    max_concurrency: endpoint.maxConcurrency,
    rate_limit_per_second: endpoint.rateLimitPerSecond,
    created_at: endpoint.createdAt.toISOString(),
    updated_at: endpoint.updatedAt.toISOString(),
  };
}

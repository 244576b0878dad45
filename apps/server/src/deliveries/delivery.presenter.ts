import { Attempt } from './attempt.entity';
import { AttemptDto, DeliveryDto } from './delivery.dto';
import { Delivery } from './delivery.entity';

export function presentDelivery(delivery: Delivery): DeliveryDto {
  return {
    id: delivery.id,
    event_id: delivery.eventId,
    endpoint_id: delivery.endpointId,
    tenant_id: delivery.tenantId,
    status: delivery.status,
    attempts: delivery.attempts,
    next_attempt_at: delivery.nextAttemptAt?.toISOString() ?? null,
    last_attempt_at: delivery.lastAttemptAt?.toISOString() ?? null,
    last_status_code: delivery.lastStatusCode,
    last_error: delivery.lastError,
    trigger: delivery.trigger,
    created_at: delivery.createdAt.toISOString(),
    updated_at: delivery.updatedAt.toISOString(),
  };
}

export function presentAttempt(attempt: Attempt): AttemptDto {
  return {
    id: attempt.id,
    delivery_id: attempt.deliveryId,
    attempt_number: attempt.attemptNumber,
    trigger: attempt.trigger,
    started_at: attempt.startedAt.toISOString(),
    duration_ms: attempt.durationMs,
    request: { url: attempt.requestUrl, headers: attempt.requestHeaders },
    response:
      attempt.responseStatus === null
        ? null
        : {
            status: attempt.responseStatus,
            headers: attempt.responseHeaders ?? {},
            body: attempt.responseBody ?? '',
            body_truncated: attempt.responseBodyTruncated,
          },
    error:
      attempt.errorCode === null ? null : { code: attempt.errorCode, message: attempt.errorMessage ?? '' },
  };
}

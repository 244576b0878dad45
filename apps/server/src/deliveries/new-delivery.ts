import { newId } from '../common/ids';
import { Delivery, DeliveryTrigger } from './delivery.entity';

/** A fresh outbox row: due now, not yet attempted. */
export function newDelivery(
  event: { id: string; tenantId: string },
  endpointId: string,
  trigger: DeliveryTrigger,
  now: Date,
): Delivery {
  return {
    id: newId('dlv'),
    eventId: event.id,
    endpointId,
    tenantId: event.tenantId,
    status: 'pending',
    trigger,
    attempts: 0,
    nextAttemptAt: now,
    leaseOwner: null,
    leaseExpiresAt: null,
    lastAttemptAt: null,
    lastStatusCode: null,
    lastError: null,
    createdAt: now,
    updatedAt: now,
  };
}

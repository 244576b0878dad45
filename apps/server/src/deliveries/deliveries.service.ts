import { Injectable } from '@nestjs/common';
import { Caller } from '../auth/caller';
import { Page, toPage } from '../common/cursor';
import { ListQuery, pageOf, windowOf } from '../common/list-query.dto';
import { DeliveriesRepository } from './deliveries.repository';
import { AttemptDto, DeliveryDto, ListDeliveriesQuery } from './delivery.dto';
import { presentAttempt, presentDelivery } from './delivery.presenter';

/** Reading deliveries and their attempts, within the caller's tenant. */
@Injectable()
export class DeliveriesService {
  constructor(private readonly deliveries: DeliveriesRepository) {}

  async list(caller: Caller, query: ListDeliveriesQuery): Promise<Page<DeliveryDto>> {
    const { limit, beforeId } = pageOf(query, 'dlv');
    const rows = await this.deliveries.list(
      {
        tenantId: caller.tenantForFilter(query.tenant_id),
        status: query.status,
        endpointId: query.endpoint_id,
        eventId: query.event_id,
        ...windowOf(query),
      },
      { beforeId, limit },
    );
    return toPage(rows, limit, presentDelivery);
  }

  /** Deliveries of one event the caller can see (the event's visibility is checked by the caller). */
  async listForEvent(eventId: string, query: ListQuery): Promise<Page<DeliveryDto>> {
    const { limit, beforeId } = pageOf(query, 'dlv');
    const rows = await this.deliveries.list({ eventId }, { beforeId, limit });
    return toPage(rows, limit, presentDelivery);
  }

  async get(caller: Caller, id: string): Promise<DeliveryDto> {
    return presentDelivery(await this.deliveries.visible(caller, id));
  }

  async attempts(caller: Caller, id: string, query: ListQuery): Promise<Page<AttemptDto>> {
    const delivery = await this.deliveries.visible(caller, id);
    const { limit, beforeId: afterId } = pageOf(query, 'att');
    const rows = await this.deliveries.listAttempts(delivery.id, { afterId, limit });
    return toPage(rows, limit, presentAttempt);
  }
}

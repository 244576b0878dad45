import { Injectable } from '@nestjs/common';
import { DataSource, In } from 'typeorm';
import { Caller } from '../auth/caller';
import { Clock } from '../common/clock';
import { ApiProblem, FieldError } from '../common/problem';
import { Delivery } from '../deliveries/delivery.entity';
import { presentDelivery } from '../deliveries/delivery.presenter';
import { DeliverySignal } from '../deliveries/delivery-signal';
import { newDelivery } from '../deliveries/new-delivery';
import { inDispatchTransaction } from '../dispatch/dispatch-transaction';
import { Endpoint } from '../endpoints/endpoint.entity';
import { lockEndpoints } from '../endpoints/endpoint-locks';
import { EndpointsRepository } from '../endpoints/endpoints.repository';
import { matchesEventType } from '../endpoints/event-patterns';
import { WebhookEvent } from '../events/event.entity';
import { EventsRepository } from '../events/events.repository';
import { EventReplayDto, ReplayEventDto } from './replay.dto';

/**
 * `POST /events/{id}/replay`: the stored event, delivered again as it was (same body bytes, same
 * event id; the dispatcher signs each attempt with its own timestamp).
 */
@Injectable()
export class EventReplayService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly events: EventsRepository,
    private readonly endpoints: EndpointsRepository,
    private readonly signal: DeliverySignal,
    private readonly clock: Clock,
  ) {}

  /**
   * Validates every target first and enqueues in ONE transaction, under the endpoints' row locks:
   * a 409 enqueues nothing, and where a delivery of the event to an endpoint is still pending or
   * retrying that one is returned instead of a second.
   */
  async replay(caller: Caller, eventId: string, input: ReplayEventDto): Promise<EventReplayDto> {
    const event = await this.events.visible(caller, eventId);
    const named = input.endpoint_ids === undefined ? undefined : [...new Set(input.endpoint_ids)];

    const { deliveries, created } = await inDispatchTransaction(this.dataSource, async (manager) => {
      const isTestEvent = await manager.exists(Delivery, { where: { eventId: event.id, trigger: 'test' } });
      if (isTestEvent) {
        throw ApiProblem.conflict(
          `Event ${event.id} was a test event; send another test (POST /webhook-endpoints/{id}/test) instead.`,
          'test-event',
        );
      }
      let targets: Endpoint[];
      if (named) {
        const locked = new Map(
          (await lockEndpoints(manager, named)).map((endpoint) => [endpoint.id, endpoint]),
        );
        targets = this.checkTargets(caller, event, named, locked);
      } else {
        const subscribers = await this.endpoints.subscribers(manager, event.tenantId, event.type);
        targets = await lockEndpoints(
          manager,
          subscribers.map((endpoint) => endpoint.id),
        );
        targets = targets.filter(
          (endpoint) =>
            endpoint.status === 'enabled' &&
            endpoint.deletedAt === null &&
            matchesEventType(endpoint.events, event.type),
        );
      }
      if (targets.length === 0) return { deliveries: [], created: 0 };

      const open = await manager.find(Delivery, {
        where: {
          eventId: event.id,
          endpointId: In(targets.map((endpoint) => endpoint.id)),
          status: In(['pending', 'retrying']),
        },
        order: { id: 'ASC' },
      });
      const now = this.clock.now();
      const fresh: Delivery[] = [];
      const result = targets.map((endpoint) => {
        const inFlight = open.find((delivery) => delivery.endpointId === endpoint.id);
        if (inFlight) return inFlight;
        const delivery = newDelivery(event, endpoint.id, 'replay', now);
        fresh.push(delivery);
        return delivery;
      });
      if (fresh.length > 0) await manager.insert(Delivery, fresh);
      return { deliveries: result, created: fresh.length };
    });
    if (created > 0) this.signal.notify();
    return { deliveries: deliveries.map(presentDelivery) };
  }

  /** Every named endpoint must exist, be the event's tenant's, enabled and subscribed: all problems at once. */
  private checkTargets(
    caller: Caller,
    event: WebhookEvent,
    named: string[],
    locked: Map<string, Endpoint>,
  ): Endpoint[] {
    const missing: string[] = [];
    const conflicts: Array<FieldError & { id: string }> = [];
    named.forEach((id, index) => {
      const endpoint = locked.get(id);
      const conflict = (message: string) => conflicts.push({ id, field: `endpoint_ids[${index}]`, message });
      if (!endpoint || endpoint.deletedAt !== null || !caller.canSee(endpoint.tenantId)) missing.push(id);
      else if (endpoint.tenantId !== event.tenantId)
        conflict(`belongs to tenant ${endpoint.tenantId}, not the event's tenant ${event.tenantId}`);
      else if (endpoint.status !== 'enabled')
        conflict(`is disabled (${endpoint.disabledReason ?? 'manual'}); enable it first`);
      else if (!matchesEventType(endpoint.events, event.type)) conflict(`is not subscribed to ${event.type}`);
    });
    if (missing.length > 0) {
      throw ApiProblem.notFound(missing.length === 1 ? 'endpoint' : 'endpoints', missing.join(', '));
    }
    if (conflicts.length > 0) {
      throw new ApiProblem(
        409,
        `Nothing was replayed: ${conflicts.map((conflict) => `${conflict.id} ${conflict.message}`).join('; ')}.`,
        conflicts.map(({ field, message }) => ({ field, message })),
        'replay-target',
      );
    }
    return named.map((id) => locked.get(id)!);
  }
}

import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { Caller } from '../auth/caller';
import { Clock } from '../common/clock';
import { Page, toPage } from '../common/cursor';
import { newId } from '../common/ids';
import { ListQuery, pageOf, windowOf } from '../common/list-query.dto';
import { ApiProblem } from '../common/problem';
import { isUniqueViolation } from '../database/errors';
import { insertRows } from '../database/rows';
import { Transactions } from '../database/transactions';
import { DeliveriesRepository } from '../deliveries/deliveries.repository';
import { DeliveriesService } from '../deliveries/deliveries.service';
import { DeliveryDto } from '../deliveries/delivery.dto';
import { DeliveryHandoff, Handoff } from '../deliveries/delivery-handoff';
import { DeliverySignal } from '../deliveries/delivery-signal';
import { newDelivery } from '../deliveries/new-delivery';
import { mayHandOff } from '../dispatch/endpoint-health';
import { EndpointsRepository } from '../endpoints/endpoints.repository';
import { matchesEventType } from '../endpoints/event-patterns';
import { EventDto, ListEventsQuery, PublishEventDto } from './event.dto';
import { WebhookEvent } from './event.entity';
import { presentEvent } from './event.presenter';
import {
  IDEMPOTENCY_KEY,
  IDEMPOTENCY_WINDOW_MS,
  publishRequestHash,
  serializePayload,
} from './event-payload';
import { EventsRepository } from './events.repository';
import { IdempotencyKey } from './idempotency-key.entity';

type PublishOutcome = { kind: 'published'; event: WebhookEvent } | { kind: 'seen'; key: IdempotencyKey };

/** Publishes (without an Idempotency-Key) committed together, at most this many … */
const MAX_PUBLISH_BATCH = 64;
/** … and about this many payload bytes (one multi-row INSERT stays far below max_allowed_packet). */
const MAX_PUBLISH_BATCH_BYTES = 1024 * 1024;
/** Delivery rows per INSERT statement. */
const DELIVERY_INSERT_CHUNK = 500;

/** What a publish transaction wrote: its deliveries, and those handed to the local dispatcher. */
interface Written {
  deliveries: number;
  handoff: Handoff | null;
}

interface PendingPublish {
  tenantId: string;
  type: string;
  data: unknown;
  resolve: (event: WebhookEvent) => void;
  reject: (error: unknown) => void;
}

/** Publishing events into the outbox, and reading them back. */
@Injectable()
export class EventsService {
  constructor(
    private readonly events: EventsRepository,
    private readonly endpoints: EndpointsRepository,
    private readonly deliveries: DeliveriesRepository,
    private readonly deliveryReads: DeliveriesService,
    private readonly transactions: Transactions,
    private readonly signal: DeliverySignal,
    private readonly clock: Clock,
    private readonly handoff: DeliveryHandoff,
  ) {}

  private readonly pending: PendingPublish[] = [];
  private flushing = false;

  /**
   * Stores the event, its idempotency key and one delivery per subscribed endpoint in ONE
   * transaction; the caller hears 202 only after the commit, so an accepted event is never lost.
   */
  async publish(
    caller: Caller,
    input: PublishEventDto,
    idempotencyKey: string | undefined,
  ): Promise<EventDto> {
    const tenantId = caller.tenantForWrite(input.tenant_id);
    if (idempotencyKey !== undefined && !IDEMPOTENCY_KEY.test(idempotencyKey)) {
      throw ApiProblem.invalidField('Idempotency-Key', 'must be 1–255 visible ASCII characters');
    }
    if (idempotencyKey === undefined) {
      const event = await this.publishGrouped(tenantId, input.type, input.data);
      return presentEvent(event);
    }
    const requestHash = publishRequestHash({ tenantId, type: input.type, data: input.data });
    let outcome: PublishOutcome;
    try {
      outcome = await this.writeOutbox(async (manager, outbox): Promise<PublishOutcome> => {
        const now = this.clock.now();
        const event: WebhookEvent = {
          id: newId('evt'),
          tenantId,
          type: input.type,
          payload: '',
          createdAt: now,
        };
        const seen = await manager.findOneBy(IdempotencyKey, { tenantId, key: idempotencyKey });
        // A key whose event is gone (a retention shorter than the key's 24 h) counts as expired.
        if (
          seen &&
          now.getTime() - seen.createdAt.getTime() < IDEMPOTENCY_WINDOW_MS &&
          (await manager.existsBy(WebhookEvent, { id: seen.eventId }))
        )
          return { kind: 'seen', key: seen };
        if (seen) await manager.delete(IdempotencyKey, { tenantId, key: idempotencyKey });
        // Inserted first: a concurrent publish with the same key collides here and re-reads below.
        await manager.insert(IdempotencyKey, {
          tenantId,
          key: idempotencyKey,
          requestHash,
          eventId: event.id,
          createdAt: now,
        });
        event.payload = serializePayload({ ...event, data: input.data });
        await outbox([event]);
        return { kind: 'published', event };
      });
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
      const winner = await this.events.findIdempotencyKey(tenantId, idempotencyKey);
      if (!winner) throw error;
      outcome = { kind: 'seen', key: winner };
    }
    if (outcome.kind === 'published') return presentEvent(outcome.event);
    if (outcome.key.requestHash !== requestHash) {
      throw ApiProblem.conflict(
        'This Idempotency-Key was already used with a different request body in the last 24 hours.',
        'idempotency-key-reused',
      );
    }
    const first = await this.events.findById(outcome.key.eventId);
    if (!first) throw new Error(`idempotency key points at missing event ${outcome.key.eventId}`);
    return presentEvent(first);
  }

  /**
   * Group commit for publishes without an Idempotency-Key: the ones that arrive while a publish
   * transaction is running are written together in the next one (multi-row INSERTs, one commit and
   * one fsync for all). Each caller's promise resolves only after that commit, so a 202 still
   * means "committed, with its deliveries". Subscribers are read inside the transaction, as before:
   * an endpoint created before the publish arrived receives it. A failed batch is retried publish by
   * publish, so one bad event cannot fail the others.
   */
  private publishGrouped(tenantId: string, type: string, data: unknown): Promise<WebhookEvent> {
    return new Promise((resolve, reject) => {
      this.pending.push({ tenantId, type, data, resolve, reject });
      if (!this.flushing) {
        this.flushing = true;
        setImmediate(() => void this.flushPublishes());
      }
    });
  }

  private async flushPublishes(): Promise<void> {
    try {
      while (this.pending.length > 0) {
        const batch: { input: PendingPublish; event: WebhookEvent }[] = [];
        let bytes = 0;
        while (
          this.pending.length > 0 &&
          batch.length < MAX_PUBLISH_BATCH &&
          bytes < MAX_PUBLISH_BATCH_BYTES
        ) {
          const input = this.pending.shift()!;
          try {
            const event: WebhookEvent = {
              id: newId('evt'),
              tenantId: input.tenantId,
              type: input.type,
              payload: '',
              createdAt: this.clock.now(),
            };
            event.payload = serializePayload({ ...event, data: input.data });
            bytes += event.payload.length;
            batch.push({ input, event });
          } catch (error) {
            // This caller hears its error; the others in the queue are not held up by it.
            input.reject(error);
          }
        }
        if (batch.length === 0) continue;
        try {
          await this.writeEvents(batch.map((b) => b.event));
          for (const { input, event } of batch) input.resolve(event);
        } catch (error) {
          if (batch.length === 1) {
            batch[0]!.input.reject(error);
            continue;
          }
          await Promise.all(
            batch.map(({ input, event }) =>
              this.writeEvents([event]).then(() => input.resolve(event), input.reject),
            ),
          );
        }
      }
    } finally {
      this.flushing = false;
    }
  }

  /** The outbox write for events without idempotency keys: events and their deliveries, one transaction. */
  private writeEvents(events: WebhookEvent[]): Promise<void> {
    return this.writeOutbox((_, outbox) => outbox(events));
  }

  /**
   * Runs a publish transaction; `work` writes its events with `outbox`. Deliveries the local
   * dispatcher took at publish (DeliveryHandoff) start once it commits; if some were left to a
   * claim, the dispatcher is woken for them. READ COMMITTED on MySQL: the handoff counts the
   * endpoints' live leases after locking them, and must see every lease committed before the lock.
   */
  private async writeOutbox<T>(
    work: (manager: EntityManager, outbox: (events: WebhookEvent[]) => Promise<void>) => Promise<T>,
  ): Promise<T> {
    const written: Written = { deliveries: 0, handoff: null };
    let result: T;
    try {
      result = await this.transactions.run(
        (manager) => work(manager, (events) => this.insertOutbox(manager, events, written)),
        'READ COMMITTED',
      );
    } catch (error) {
      written.handoff?.abandon();
      throw error;
    }
    written.handoff?.start();
    if ((written.handoff?.taken ?? 0) < written.deliveries) this.signal.notify();
    return result;
  }

  /**
   * Inserts `events` and one pending delivery per endpoint subscribed to each; those the local
   * dispatcher takes are written leased to it. Records both in `written`, for writeOutbox.
   */
  private async insertOutbox(
    manager: EntityManager,
    events: WebhookEvent[],
    written: Written,
  ): Promise<void> {
    await insertRows(manager, WebhookEvent, events);
    const tenants = [...new Set(events.map((event) => event.tenantId))];
    const endpoints = await this.endpoints.subscribersOf(manager, tenants);
    const deliveries = events.flatMap((event) =>
      endpoints
        .filter(
          (endpoint) => endpoint.tenantId === event.tenantId && matchesEventType(endpoint.events, event.type),
        )
        .map((endpoint) => newDelivery(event, endpoint.id, 'event', event.createdAt)),
    );
    written.deliveries += deliveries.length;
    // Only endpoints that qualify as read here are worth locking for a handoff (checked again under the lock).
    const candidates = new Set(endpoints.filter(mayHandOff).map((endpoint) => endpoint.id));
    written.handoff = await this.handoff.take(
      manager,
      deliveries.filter((delivery) => candidates.has(delivery.endpointId)),
      events,
    );
    for (let i = 0; i < deliveries.length; i += DELIVERY_INSERT_CHUNK) {
      await this.deliveries.insertMany(manager, deliveries.slice(i, i + DELIVERY_INSERT_CHUNK));
    }
  }

  async list(caller: Caller, query: ListEventsQuery): Promise<Page<EventDto>> {
    const { limit, beforeId } = pageOf(query, 'evt');
    const rows = await this.events.list(
      {
        tenantId: caller.tenantForFilter(query.tenant_id),
        type: query.type,
        ...windowOf(query),
      },
      { beforeId, limit },
    );
    return toPage(rows, limit, presentEvent);
  }

  async get(caller: Caller, id: string): Promise<EventDto> {
    return presentEvent(await this.events.visible(caller, id));
  }

  async deliveriesOf(caller: Caller, id: string, query: ListQuery): Promise<Page<DeliveryDto>> {
    const event = await this.events.visible(caller, id);
    return this.deliveryReads.listForEvent(event.id, query);
  }
}

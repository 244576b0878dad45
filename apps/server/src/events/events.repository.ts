import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { FindOptionsWhere, LessThan, Repository } from 'typeorm';
import { Caller } from '../auth/caller';
import { isId } from '../common/ids';
import { CreatedWindow, createdWithin } from '../common/list-query.dto';
import { ApiProblem } from '../common/problem';
import { WebhookEvent } from './event.entity';
import { IdempotencyKey } from './idempotency-key.entity';

export interface EventFilter extends CreatedWindow {
  tenantId?: string;
  type?: string;
}

@Injectable()
export class EventsRepository {
  constructor(
    @InjectRepository(WebhookEvent) private readonly events: Repository<WebhookEvent>,
    @InjectRepository(IdempotencyKey) private readonly idempotencyKeys: Repository<IdempotencyKey>,
  ) {}

  findById(id: string): Promise<WebhookEvent | null> {
    return this.events.findOneBy({ id });
  }

  /** An event the caller can see; any other id is the route's 404. */
  async visible(caller: Caller, id: string): Promise<WebhookEvent> {
    const event = isId(id, 'evt') ? await this.findById(id) : null;
    if (!event || !caller.canSee(event.tenantId)) throw ApiProblem.notFound('event', id);
    return event;
  }

  findIdempotencyKey(tenantId: string, key: string): Promise<IdempotencyKey | null> {
    return this.idempotencyKeys.findOneBy({ tenantId, key });
  }

  /** Newest first, `limit + 1` rows below `beforeId`. */
  list(filter: EventFilter, page: { beforeId?: string; limit: number }): Promise<WebhookEvent[]> {
    const where: FindOptionsWhere<WebhookEvent> = {};
    if (filter.tenantId !== undefined) where.tenantId = filter.tenantId;
    if (filter.type !== undefined) where.type = filter.type;
    const createdAt = createdWithin(filter);
    if (createdAt !== undefined) where.createdAt = createdAt;
    if (page.beforeId !== undefined) where.id = LessThan(page.beforeId);
    return this.events.find({ where, order: { id: 'DESC' }, take: page.limit + 1 });
  }
}

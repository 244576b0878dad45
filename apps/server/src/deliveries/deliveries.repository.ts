import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { EntityManager, FindOptionsWhere, In, LessThan, MoreThan, Repository } from 'typeorm';
import { Caller } from '../auth/caller';
import { isId } from '../common/ids';
import { CreatedWindow, createdWithin } from '../common/list-query.dto';
import { ApiProblem } from '../common/problem';
import { insertRows } from '../database/rows';
import { Attempt } from './attempt.entity';
import { Delivery, DeliveryStatus } from './delivery.entity';

export interface DeliveryFilter extends CreatedWindow {
  tenantId?: string;
  status?: DeliveryStatus;
  endpointId?: string;
  eventId?: string;
}

/** Deliveries still owed an attempt. */
const OPEN_STATUSES: DeliveryStatus[] = ['pending', 'retrying'];

@Injectable()
export class DeliveriesRepository {
  constructor(
    @InjectRepository(Delivery) private readonly deliveries: Repository<Delivery>,
    @InjectRepository(Attempt) private readonly attempts: Repository<Attempt>,
  ) {}

  /** Newest first, `limit + 1` rows below `beforeId`. */
  list(filter: DeliveryFilter, page: { beforeId?: string; limit: number }): Promise<Delivery[]> {
    const where: FindOptionsWhere<Delivery> = {};
    if (filter.tenantId !== undefined) where.tenantId = filter.tenantId;
    if (filter.status !== undefined) where.status = filter.status;
    if (filter.endpointId !== undefined) where.endpointId = filter.endpointId;
    if (filter.eventId !== undefined) where.eventId = filter.eventId;
    const createdAt = createdWithin(filter);
    if (createdAt !== undefined) where.createdAt = createdAt;
    if (page.beforeId !== undefined) where.id = LessThan(page.beforeId);
    return this.deliveries.find({ where, order: { id: 'DESC' }, take: page.limit + 1 });
  }

  /** A delivery the caller can see; any other id is the route's 404. */
  async visible(caller: Caller, id: string): Promise<Delivery> {
    const delivery = isId(id, 'dlv') ? await this.deliveries.findOneBy({ id }) : null;
    if (!delivery || !caller.canSee(delivery.tenantId)) throw ApiProblem.notFound('delivery', id);
    return delivery;
  }

  /** In attempt order, `limit + 1` rows after `afterId`. */
  listAttempts(deliveryId: string, page: { afterId?: string; limit: number }): Promise<Attempt[]> {
    return this.attempts.find({
      where: { deliveryId, ...(page.afterId !== undefined ? { id: MoreThan(page.afterId) } : {}) },
      order: { attemptNumber: 'ASC' },
      take: page.limit + 1,
    });
  }

  async insertMany(manager: EntityManager, rows: Delivery[]): Promise<void> {
    await insertRows(manager, Delivery, rows);
  }

  /** Settles an endpoint's open deliveries as `status` (cancelled on delete, dead on disable). */
  async settleOpenForEndpoint(
    manager: EntityManager,
    endpointId: string,
    status: 'cancelled' | 'dead',
    now: Date,
  ): Promise<number> {
    const result = await manager.update(
      Delivery,
      { endpointId, status: In(OPEN_STATUSES) },
      { status, nextAttemptAt: null, updatedAt: now },
    );
    return result.affected ?? 0;
  }
}

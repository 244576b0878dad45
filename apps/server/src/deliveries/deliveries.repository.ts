import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import {
  Between,
  EntityManager,
  FindOptionsWhere,
  In,
  LessThan,
  LessThanOrEqual,
  MoreThan,
  MoreThanOrEqual,
  Repository,
} from 'typeorm';
import { Attempt } from './attempt.entity';
import { Delivery, DeliveryStatus } from './delivery.entity';

export interface DeliveryFilter {
  tenantId?: string;
  status?: DeliveryStatus;
  endpointId?: string;
  eventId?: string;
  /** Created at or after / at or before. */
  since?: Date;
  until?: Date;
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
    if (filter.since && filter.until) where.createdAt = Between(filter.since, filter.until);
    else if (filter.since) where.createdAt = MoreThanOrEqual(filter.since);
    else if (filter.until) where.createdAt = LessThanOrEqual(filter.until);
    if (page.beforeId !== undefined) where.id = LessThan(page.beforeId);
    return this.deliveries.find({ where, order: { id: 'DESC' }, take: page.limit + 1 });
  }

  findById(id: string): Promise<Delivery | null> {
    return this.deliveries.findOneBy({ id });
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
    if (rows.length > 0) await manager.insert(Delivery, rows);
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

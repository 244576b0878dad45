import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { EntityManager, FindOptionsWhere, IsNull, LessThan, Repository } from 'typeorm';
import { Caller } from '../auth/caller';
import { isId } from '../common/ids';
import { ApiProblem } from '../common/problem';
import { Endpoint } from './endpoint.entity';
import { matchesEventType } from './event-patterns';

@Injectable()
export class EndpointsRepository {
  constructor(@InjectRepository(Endpoint) private readonly endpoints: Repository<Endpoint>) {}

  /** A live (not deleted) endpoint the caller can see; any other id is the route's 404. */
  async visible(caller: Caller, id: string): Promise<Endpoint> {
    const endpoint = isId(id, 'wh') ? await this.endpoints.findOneBy({ id, deletedAt: IsNull() }) : null;
    if (!endpoint || !caller.canSee(endpoint.tenantId)) throw ApiProblem.notFound('endpoint', id);
    return endpoint;
  }

  /** Live endpoints newest first, `limit + 1` rows below `beforeId`. */
  listLive(filter: { tenantId?: string }, page: { beforeId?: string; limit: number }): Promise<Endpoint[]> {
    const where: FindOptionsWhere<Endpoint> = { deletedAt: IsNull() };
    if (filter.tenantId !== undefined) where.tenantId = filter.tenantId;
    if (page.beforeId !== undefined) where.id = LessThan(page.beforeId);
    return this.endpoints.find({ where, order: { id: 'DESC' }, take: page.limit + 1 });
  }

  /** The tenant's enabled, live endpoints subscribed to `type`: who gets an event. */
  async subscribers(manager: EntityManager, tenantId: string, type: string): Promise<Endpoint[]> {
    const candidates = await manager.find(Endpoint, {
      where: { tenantId, status: 'enabled', deletedAt: IsNull() },
      order: { id: 'ASC' },
    });
    return candidates.filter((endpoint) => matchesEventType(endpoint.events, type));
  }

  async insert(manager: EntityManager, endpoint: Endpoint): Promise<void> {
    await manager.insert(Endpoint, endpoint);
  }

  async update(manager: EntityManager, id: string, changes: Partial<Endpoint>): Promise<void> {
    await manager.update(Endpoint, { id }, changes);
  }
}

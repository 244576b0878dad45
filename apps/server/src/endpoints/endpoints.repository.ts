import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { EntityManager, FindOptionsWhere, IsNull, LessThan, Repository } from 'typeorm';
import { Caller } from '../auth/caller';
import { isId } from '../common/ids';
import { ApiProblem } from '../common/problem';
import { placeholders } from '../database/rows';
import { Endpoint } from './endpoint.entity';
import { lockEndpoints } from './endpoint-locks';
import { matchesEventType } from './event-patterns';

/** What a publish needs of a subscribed endpoint. */
export type Subscriber = Pick<
  Endpoint,
  'id' | 'tenantId' | 'events' | 'consecutiveFailures' | 'rateLimitPerSecond'
>;

@Injectable()
export class EndpointsRepository {
  constructor(@InjectRepository(Endpoint) private readonly endpoints: Repository<Endpoint>) {}

  /** A live (not deleted) endpoint the caller can see; any other id is the route's 404. */
  async visible(caller: Caller, id: string): Promise<Endpoint> {
    const endpoint = isId(id, 'wh') ? await this.endpoints.findOneBy({ id, deletedAt: IsNull() }) : null;
    if (!endpoint || !caller.canSee(endpoint.tenantId)) throw ApiProblem.notFound('endpoint', id);
    return endpoint;
  }

  /**
   * `visible`, read under the endpoint's row lock (lockEndpoints) until `manager`'s transaction ends:
   * for a change decided on the row as stored, not as an earlier read saw it.
   */
  async lockVisible(manager: EntityManager, caller: Caller, id: string): Promise<Endpoint> {
    const [endpoint] = isId(id, 'wh') ? await lockEndpoints(manager, [id]) : [];
    if (!endpoint || endpoint.deletedAt !== null || !caller.canSee(endpoint.tenantId)) {
      throw ApiProblem.notFound('endpoint', id);
    }
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
  async subscribers(manager: EntityManager, tenantId: string, type: string): Promise<Subscriber[]> {
    const candidates = await this.subscribersOf(manager, [tenantId]);
    return candidates.filter((endpoint) => matchesEventType(endpoint.events, type));
  }

  /**
   * The enabled, live endpoints of `tenantIds` in id order, before any type filter, with only the
   * columns a publish needs, as one parameterised query on the transaction's connection; each value
   * is hydrated by the driver exactly as an entity read does.
   */
  async subscribersOf(manager: EntityManager, tenantIds: string[]): Promise<Subscriber[]> {
    const driver = manager.connection.driver;
    const metadata = manager.connection.getMetadata(Endpoint);
    const column = (property: keyof Endpoint) => metadata.findColumnWithPropertyName(property)!;
    const q = (property: keyof Endpoint) => driver.escape(column(property).databaseName);
    const rows: Record<string, unknown>[] = await manager.query(
      `SELECT ${q('id')} AS id, ${q('tenantId')} AS tenant_id, ${q('events')} AS events,` +
        ` ${q('consecutiveFailures')} AS consecutive_failures, ${q('rateLimitPerSecond')} AS rate_limit_per_second` +
        ` FROM ${driver.escape(metadata.tableName)}` +
        ` WHERE ${q('tenantId')} IN (${placeholders(tenantIds.length)}) AND ${q('status')} = ? AND ${q('deletedAt')} IS NULL` +
        ` ORDER BY ${q('id')} ASC`,
      [...tenantIds, 'enabled'],
    );
    return rows.map((row) => ({
      id: driver.prepareHydratedValue(row.id, column('id')) as string,
      tenantId: driver.prepareHydratedValue(row.tenant_id, column('tenantId')) as string,
      events: driver.prepareHydratedValue(row.events, column('events')) as string[],
      consecutiveFailures: driver.prepareHydratedValue(
        row.consecutive_failures,
        column('consecutiveFailures'),
      ) as number,
      rateLimitPerSecond: driver.prepareHydratedValue(
        row.rate_limit_per_second,
        column('rateLimitPerSecond'),
      ) as number | null,
    }));
  }

  async insert(manager: EntityManager, endpoint: Endpoint): Promise<void> {
    await manager.insert(Endpoint, endpoint);
  }

  async update(manager: EntityManager, id: string, changes: Partial<Endpoint>): Promise<void> {
    await manager.update(Endpoint, { id }, changes);
  }
}

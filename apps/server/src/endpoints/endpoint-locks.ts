import { EntityManager, In } from 'typeorm';
import { isSqlite } from '../database/data-source';
import { Endpoint } from './endpoint.entity';

/**
 * Loads endpoints and, on MySQL, locks their rows in id order (so two lockers never deadlock). Claims
 * and attempt results of one endpoint are serialized through this lock: that is what keeps
 * `max_concurrency` exact across worker processes, and secret rotations of one endpoint never
 * overwrite each other.
 */
export function lockEndpoints(manager: EntityManager, ids: readonly string[]): Promise<Endpoint[]> {
  if (ids.length === 0) return Promise.resolve([]);
  const query = manager
    .createQueryBuilder(Endpoint, 'e')
    .where({ id: In([...ids]) })
    .orderBy('e.id', 'ASC');
  if (!isSqlite(manager.connection)) query.setLock('pessimistic_write');
  return query.getMany();
}

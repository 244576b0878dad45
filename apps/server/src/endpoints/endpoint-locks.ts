import { EntityManager } from 'typeorm';
import { isSqlite } from '../database/data-source';
import { hydrate, placeholders, selectStatement } from '../database/rows';
import { Endpoint } from './endpoint.entity';

/**
 * The statement that loads endpoints and, on MySQL, locks their rows in id order (so two lockers
 * never deadlock); `hydrate` its rows into Endpoints. Claims and attempt results of one endpoint are
 * serialized through this lock: that is what keeps `max_concurrency` exact across worker processes,
 * and secret rotations of one endpoint never overwrite each other.
 */
export function endpointLockStatement(manager: EntityManager, ids: readonly string[]) {
  return selectStatement(
    manager,
    Endpoint,
    'e',
    `e.id IN (${placeholders(ids.length)})`,
    [...ids],
    `ORDER BY e.id ASC${isSqlite(manager.connection) ? '' : ' FOR UPDATE'}`,
  );
}

/** Loads and locks endpoints (endpointLockStatement). */
export async function lockEndpoints(manager: EntityManager, ids: readonly string[]): Promise<Endpoint[]> {
  if (ids.length === 0) return [];
  const { sql, params } = endpointLockStatement(manager, ids);
  return hydrate(manager, Endpoint, await manager.query(sql, params));
}

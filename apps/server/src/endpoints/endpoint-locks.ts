import { EntityManager } from 'typeorm';
import { isSqlite } from '../database/data-source';
import { placeholders, selectRows } from '../database/rows';
import { Endpoint } from './endpoint.entity';

/**
 * Loads endpoints and, on MySQL, locks their rows in id order (so two lockers never deadlock). Claims
 * and attempt results of one endpoint are serialized through this lock: that is what keeps
 * `max_concurrency` exact across worker processes, and secret rotations of one endpoint never
 * overwrite each other.
 */
export function lockEndpoints(manager: EntityManager, ids: readonly string[]): Promise<Endpoint[]> {
  if (ids.length === 0) return Promise.resolve([]);
  return selectRows(
    manager,
    Endpoint,
    'e',
    `e.id IN (${placeholders(ids.length)})`,
    [...ids],
    `ORDER BY e.id ASC${isSqlite(manager.connection) ? '' : ' FOR UPDATE'}`,
  );
}

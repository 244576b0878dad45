import { Brackets, EntityManager, SelectQueryBuilder } from 'typeorm';
import { Delivery } from '../deliveries/delivery.entity';
import { WebhookEvent } from '../events/event.entity';
import { ReplayMode } from './replay.entity';

/** Which events an endpoint replay covers. */
export interface ReplaySelection {
  tenantId: string;
  endpointId: string;
  /** The endpoint's subscription (`events`). */
  subscription: readonly string[];
  /** The request's `types`, on top of the subscription; null = no further restriction. */
  types: readonly string[] | null;
  since: Date;
  until: Date;
  mode: ReplayMode;
}

/** At most this many events per replay: a bigger recovery is split into narrower windows. */
export const MAX_REPLAY_EVENTS = 100_000;

/** Delivery statuses that keep an event out of a replay: in flight always, delivered for `undelivered`. */
export function blockingStatuses(mode: ReplayMode): string[] {
  return mode === 'all' ? ['pending', 'retrying'] : ['pending', 'retrying', 'succeeded'];
}

/**
 * SQL for "type matches one of these patterns" (the same rule as matchesEventType): exact types
 * compare with `=`, a `prefix.*` by SUBSTR/LENGTH (not LIKE, which ignores case on SQLite), and `*`
 * matches everything (null). Comparisons are exact on both dialects (binary collation on MySQL).
 */
function typeCondition(
  patterns: readonly string[],
  name: string,
): { sql: string; parameters: Record<string, unknown> } | null {
  if (patterns.includes('*')) return null;
  if (patterns.length === 0) return { sql: '1 = 0', parameters: {} };
  const terms: string[] = [];
  const parameters: Record<string, unknown> = {};
  patterns.forEach((pattern, index) => {
    const key = `${name}${index}`;
    if (pattern.endsWith('.*')) {
      const prefix = pattern.slice(0, -1);
      parameters[key] = prefix;
      terms.push(`(SUBSTR(e.type, 1, ${prefix.length}) = :${key} AND LENGTH(e.type) > ${prefix.length})`);
    } else {
      parameters[key] = pattern;
      terms.push(`e.type = :${key}`);
    }
  });
  return { sql: `(${terms.join(' OR ')})`, parameters };
}

/**
 * The events of a selection, as a query on `events e`: in the window (both ends included), of the
 * endpoint's tenant, matching its subscription and `types`, not a test event, and with no delivery
 * to the endpoint that blocks a replay (in flight, or for `undelivered` already succeeded).
 */
export function selectedEvents(
  manager: EntityManager,
  selection: ReplaySelection,
): SelectQueryBuilder<WebhookEvent> {
  const trigger = manager.connection.driver.escape('trigger');
  const query = manager
    .createQueryBuilder(WebhookEvent, 'e')
    .where('e.tenantId = :tenantId', { tenantId: selection.tenantId })
    .andWhere('e.createdAt >= :since', { since: selection.since })
    .andWhere('e.createdAt <= :until', { until: selection.until })
    .andWhere(
      `NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.event_id = e.id AND d.endpoint_id = :endpointId AND d.status IN (:...blocking))`,
      { endpointId: selection.endpointId, blocking: blockingStatuses(selection.mode) },
    )
    // Test events (POST /webhook-endpoints/{id}/test) belong to the one test; they are never replayed.
    .andWhere(`NOT EXISTS (SELECT 1 FROM deliveries t WHERE t.event_id = e.id AND t.${trigger} = 'test')`);
  for (const [patterns, name] of [
    [selection.subscription, 'sub'],
    [selection.types, 'typ'],
  ] as const) {
    if (patterns === null) continue;
    const condition = typeCondition(patterns, name);
    if (condition) query.andWhere(new Brackets((where) => where.where(condition.sql, condition.parameters)));
  }
  return query;
}

export function countSelectedEvents(manager: EntityManager, selection: ReplaySelection): Promise<number> {
  return selectedEvents(manager, selection).getCount();
}

/** The next `limit` selected events above `afterId`, in id (creation) order. */
export function nextSelectedEvents(
  manager: EntityManager,
  selection: ReplaySelection,
  afterId: string | null,
  limit: number,
): Promise<Array<Pick<WebhookEvent, 'id' | 'tenantId' | 'type'>>> {
  const query = selectedEvents(manager, selection).select(['e.id', 'e.tenantId', 'e.type']);
  if (afterId !== null) query.andWhere('e.id > :afterId', { afterId });
  return query.orderBy('e.id', 'ASC').limit(limit).getMany();
}

/** Open deliveries (pending or retrying) of replays to an endpoint: the backlog a replay waits behind. */
export function openReplayDeliveries(manager: EntityManager, endpointId: string): Promise<number> {
  return manager
    .createQueryBuilder(Delivery, 'd')
    .where('d.endpointId = :endpointId', { endpointId })
    .andWhere('d.status IN (:...open)', { open: ['pending', 'retrying'] })
    .andWhere("d.trigger = 'replay'")
    .getCount();
}

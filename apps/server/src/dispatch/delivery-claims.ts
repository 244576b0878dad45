import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager, In, Not } from 'typeorm';
import { hydrate, insertRows, persisted, placeholders, selectStatement } from '../database/rows';
import { deferWrite, queryAll } from '../database/statement-pipeline';
import { Delivery, DeliveryStatus } from '../deliveries/delivery.entity';
import { Endpoint } from '../endpoints/endpoint.entity';
import { endpointLockStatement, lockEndpoints } from '../endpoints/endpoint-locks';
import { EndpointRateStart } from '../endpoints/endpoint-rate-start.entity';
import { WebhookEvent } from '../events/event.entity';
import { inDispatchTransaction } from './dispatch-transaction';
import { allowedInFlight } from './endpoint-health';
import { RATE_WINDOW_MS, RecordedStarts, rateWindow, SlidingWindowLimit } from './rate-limiter';

/** Deliveries still owed an attempt. */
export const OPEN_STATUSES: DeliveryStatus[] = ['pending', 'retrying'];
/** Deliveries no attempt may touch again (a dead one may still get a manual attempt). */
const SETTLED_STATUSES: DeliveryStatus[] = ['succeeded', 'cancelled'];

export interface ClaimRequest {
  /** The lease owner written on each claimed row; the claim's proof of ownership. */
  leaseToken: string;
  limit: number;
  now: Date;
  leaseMs: number;
  /** Told how long until an endpoint whose `rate_limit_per_second` is used up may start again. */
  onRateLimited?: (waitMs: number) => void;
  /**
   * Told when due deliveries were left unclaimed for lack of room: an endpoint at its cap or its
   * rate (then a freed slot can start one), as opposed to everything due having been taken.
   */
  onCapped?: () => void;
  /**
   * Told, per endpoint, how many deliveries this round chose, before it leases them (and with an
   * empty map when a round starts, or starts again after a deadlock): a dispatcher counting its own
   * requests from memory holds their slots from here, because the endpoint's lock is released with
   * the COMMIT, before the claim's answer arrives, and a handoff waiting on that lock must count them.
   */
  onChosen?: (perEndpoint: ReadonlyMap<string, number>) => void;
  /**
   * The claiming dispatcher's own requests, counted from memory instead of from its leases: its
   * leases whose token starts with `leasePrefix` are left out of the live-lease counts and
   * `inFlight` (per endpoint: requests not yet answered, or failed and not yet recorded) is counted
   * instead. Every other lease (other workers, manual attempts) is counted from the database as before.
   */
  own?: OwnRequests;
}

/** A dispatcher's requests in flight, per endpoint, and the prefix of every lease token it writes. */
export interface OwnRequests {
  leasePrefix: string;
  inFlight: ReadonlyMap<string, number>;
}

/** A lease-token generator; every token starts with `prefix`. */
export type LeaseTokenFactory = (() => string) & { readonly prefix: string };

/** A lease token unique to this process and claim: `<host>:<pid>:<random>:<n>` (≤ 64 chars). */
export function leaseTokenFactory(): LeaseTokenFactory {
  const base = `${hostname().slice(0, 24)}:${process.pid}:${randomBytes(4).toString('hex')}`;
  let sequence = 0;
  return Object.assign(() => `${base}:${(++sequence).toString(36)}`, { prefix: `${base}:` });
}

/** A claimed delivery with what its attempt needs (null: the endpoint or event is gone). */
export interface ClaimedDelivery {
  delivery: Delivery;
  endpoint: Endpoint | null;
  event: WebhookEvent | null;
}

/**
 * Claims due deliveries (§ Dispatch in docs/architecture.md): due, open, no live lease, not a test
 * delivery (those get exactly one attempt, by the route that made them). Per endpoint it never
 * claims beyond the free part of its in-flight cap (`max_concurrency`, or one probe while the
 * circuit is open), counting live leases of every worker, and it shares a batch round-robin between
 * endpoints, so no endpoint's backlog can crowd out another's deliveries.
 */
@Injectable()
export class DeliveryClaims {
  constructor(private readonly dataSource: DataSource) {}

  async claimDueDeliveries(request: ClaimRequest): Promise<Delivery[]> {
    return (await this.claimDueBatch(request)).map((claimed) => claimed.delivery);
  }

  /**
   * Claims like claimDueDeliveries, and returns with each delivery what its attempt needs: the
   * endpoint as locked by the claim and the event (read with the lease, in the same transaction).
   */
  async claimDueBatch(request: ClaimRequest): Promise<ClaimedDelivery[]> {
    if (request.limit <= 0) return [];
    const { deliveries, endpoints, events } = await inDispatchTransaction(this.dataSource, (manager) =>
      this.claimIn(manager, request),
    );
    const eventsById = new Map(events.map((event) => [event.id, event]));
    return deliveries.map((delivery) => ({
      delivery,
      endpoint: endpoints.get(delivery.endpointId) ?? null,
      event: eventsById.get(delivery.eventId) ?? null,
    }));
  }

  /**
   * One claim round, in ONE transaction of five round trips on MySQL (pipelined): the saturated
   * endpoints (with the BEGIN); both due windows; the endpoint locks and, behind them in the same
   * packet, the live-lease counts and rate windows; the lease UPDATE with the claimed deliveries'
   * events; the COMMIT.
   */
  private async claimIn(
    manager: EntityManager,
    request: ClaimRequest,
  ): Promise<{ deliveries: Delivery[]; endpoints: Map<string, Endpoint>; events: WebhookEvent[] }> {
    const { now, limit } = request;
    const nowMs = now.getTime();
    const none = { deliveries: [], endpoints: new Map<string, Endpoint>(), events: [] };
    // 1. Endpoints already at their cap or their rate stay out of the candidate windows, so their
    // backlog cannot fill the windows while others wait.
    request.onChosen?.(new Map());
    const saturated = await this.saturatedEndpoints(manager, now, request);
    if (saturated.size > 0) request.onCapped?.();

    // 2. Two windows, first attempts and retries, so neither can starve the other.
    const window = Math.max(limit * 4, 100);
    const [fresh, retries] = (
      await queryAll(
        manager,
        (['pending', 'retrying'] as const).map((status) =>
          dueWindow(manager, status, now, window, saturated),
        ),
      )
    ).map((result) => hydrate(manager, Delivery, result.rows));
    const windowRows = new Map([...fresh!, ...retries!].map((row) => [row.id, row]));
    const candidates = interleave(fresh!, retries!);
    if (candidates.length === 0) return none;

    // 3. Lock the endpoints, then count their live leases and read their rate windows again: now
    // nobody else can add to them. One packet: the reads run once the locks are granted.
    const endpointIds = [...new Set(candidates.map((candidate) => candidate.endpointId))].sort();
    const [locked, leases, rates] = await queryAll(manager, [
      endpointLockStatement(manager, endpointIds),
      liveLeaseCounts(manager, now, endpointIds, request.own),
      {
        sql:
          'SELECT endpoint_id AS endpointId, started_at_ms AS atMs, starts AS n FROM endpoint_rate_starts' +
          ` WHERE endpoint_id IN (${placeholders(endpointIds.length)})`,
        params: endpointIds,
      },
    ]);
    const endpoints = new Map(hydrate(manager, Endpoint, locked!.rows).map((e) => [e.id, e]));
    const inFlight = inFlightCounts(leases!.rows, endpointIds, request.own);
    const recorded = recordedStarts(rates!.rows);

    // 4. Deliveries of a deleted or disabled endpoint are settled here instead of attempted.
    const cancelled: string[] = [];
    const dead: string[] = [];
    const byEndpoint = new Map<string, string[]>();
    for (const candidate of candidates) {
      const endpoint = endpoints.get(candidate.endpointId);
      if (!endpoint || endpoint.deletedAt !== null) cancelled.push(candidate.id);
      else if (endpoint.status !== 'enabled') dead.push(candidate.id);
      else byEndpoint.set(endpoint.id, [...(byEndpoint.get(endpoint.id) ?? []), candidate.id]);
    }
    await this.settle(manager, cancelled, 'cancelled', now);
    await this.settle(manager, dead, 'dead', now);

    // 5. Round-robin over endpoints, each up to its free slots and what its rate window allows.
    const chosen: string[] = [];
    const free = new Map<string, number>();
    const windows = new Map<string, SlidingWindowLimit>();
    for (const [endpointId] of byEndpoint) {
      const endpoint = endpoints.get(endpointId)!;
      free.set(endpointId, Math.max(0, allowedInFlight(endpoint) - (inFlight.get(endpointId) ?? 0)));
      const window = rateWindow(endpoint.rateLimitPerSecond, recorded.get(endpointId));
      if (window) windows.set(endpointId, window);
    }
    const started = new Map<string, number>();
    let progress = true;
    while (chosen.length < limit && progress) {
      progress = false;
      for (const [endpointId, queue] of byEndpoint) {
        if (chosen.length >= limit) break;
        if (queue.length === 0 || (free.get(endpointId) ?? 0) <= 0) continue;
        const window = windows.get(endpointId);
        if (window && window.take(1, nowMs) < 1) {
          free.set(endpointId, 0);
          request.onRateLimited?.(window.msUntilAllowed(nowMs));
          continue;
        }
        if (window) started.set(endpointId, (started.get(endpointId) ?? 0) + 1);
        chosen.push(queue.shift()!);
        free.set(endpointId, free.get(endpointId)! - 1);
        progress = true;
      }
    }
    await this.recordRateStarts(manager, request.leaseToken, nowMs, started, recorded);
    if ([...byEndpoint.values()].some((queue) => queue.length > 0)) request.onCapped?.();
    if (chosen.length === 0) return none;
    const perEndpoint = new Map<string, number>();
    for (const id of chosen) {
      const endpointId = windowRows.get(id)!.endpointId;
      perEndpoint.set(endpointId, (perEndpoint.get(endpointId) ?? 0) + 1);
    }
    request.onChosen?.(perEndpoint);

    // 6. Lease them; the conditions repeat the claim rule, so a row claimed (or attempted and
    // rescheduled) meanwhile is not taken twice.
    const leaseExpiresAt = new Date(now.getTime() + request.leaseMs);
    const at = instant(manager, now);
    const eventIds = [...new Set(chosen.map((id) => windowRows.get(id)!.eventId))];
    const [leased, events] = await queryAll(manager, [
      {
        sql:
          `UPDATE deliveries SET lease_owner = ?, lease_expires_at = ? WHERE id IN (${placeholders(chosen.length)})` +
          ` AND status IN (${placeholders(OPEN_STATUSES.length)}) AND next_attempt_at <= ?` +
          ' AND (lease_expires_at IS NULL OR lease_expires_at <= ?)',
        params: [request.leaseToken, instant(manager, leaseExpiresAt), ...chosen, ...OPEN_STATUSES, at, at],
      },
      // Events never change: read with the lease, in the same packet.
      selectStatement(manager, WebhookEvent, 'ev', `ev.id IN (${placeholders(eventIds.length)})`, eventIds),
    ]);
    // Every chosen row was leased: the window's rows are what was leased (no re-read needed).
    const claimed =
      leased!.affected === chosen.length
        ? chosen.map((id) => ({ ...windowRows.get(id)!, leaseOwner: request.leaseToken, leaseExpiresAt }))
        : await manager.findBy(Delivery, { id: In(chosen), leaseOwner: request.leaseToken });
    const order = new Map(chosen.map((id, index) => [id, index]));
    return {
      deliveries: claimed.sort((a, b) => order.get(a.id)! - order.get(b.id)!),
      endpoints,
      events: hydrate(manager, WebhookEvent, events!.rows),
    };
  }

  /**
   * Leases one delivery for a manual or test attempt, under its endpoint's lock. Null when it is
   * leased by someone else right now, or was settled (succeeded, cancelled) since the caller read it.
   */
  async leaseOne(deliveryId: string, request: Omit<ClaimRequest, 'limit'>): Promise<Delivery | null> {
    return inDispatchTransaction(this.dataSource, async (manager) => {
      const delivery = await manager.findOneBy(Delivery, { id: deliveryId });
      if (!delivery) return null;
      await lockEndpoints(manager, [delivery.endpointId]);
      const result = await manager
        .createQueryBuilder()
        .update(Delivery)
        .set({
          leaseOwner: request.leaseToken,
          leaseExpiresAt: new Date(request.now.getTime() + request.leaseMs),
        })
        .where({ id: deliveryId, status: Not(In(SETTLED_STATUSES)) })
        .andWhere('(lease_expires_at IS NULL OR lease_expires_at <= :now)', { now: request.now })
        .execute();
      if (!result.affected) return null;
      return manager.findOneBy(Delivery, { id: deliveryId });
    });
  }

  /**
   * Open, unleased deliveries that fell due after `since` and by `now`, the latest due first, at most
   * `limit`, each as `<id>#<attempts made>` (a delivery due again after another attempt is a new
   * one to wake for): how a dispatcher notices what another process made due (a publish or a retry there)
   * without waiting for its poll. One range read of `idx_deliveries_due`.
   */
  async recentlyDue(since: Date, now: Date, limit: number): Promise<string[]> {
    const manager = this.dataSource.manager;
    const rule = claimable(manager, now);
    const rows: { id: string; attempts: number | string }[] = await manager.query(
      `SELECT d.id AS id, d.attempts AS attempts FROM deliveries d WHERE d.status IN (${placeholders(OPEN_STATUSES.length)})` +
        ` AND d.next_attempt_at > ? AND ${rule.sql} ORDER BY d.next_attempt_at DESC LIMIT ?`,
      [...OPEN_STATUSES, instant(manager, since), ...rule.params, limit],
    );
    return rows.map((row) => `${row.id}#${Number(row.attempts)}`);
  }

  /**
   * For a handoff at publish (DeliveryHandoff), inside the publish transaction: locks the endpoints,
   * as a claim does (in id order, so publishes, claims and records never deadlock), and behind the
   * locks, in the same packet, counts their requests in flight (other workers' live leases) and finds
   * those with a claimable delivery already due (a backlog, which a claim drains first, oldest first).
   */
  async handoffCandidates(
    manager: EntityManager,
    endpointIds: string[],
    now: Date,
    own: OwnRequests,
  ): Promise<{ endpoint: Endpoint; inFlight: number; backlog: boolean }[]> {
    if (endpointIds.length === 0) return [];
    const ids = [...endpointIds].sort();
    const rule = claimable(manager, now);
    const [locked, leases, due] = await queryAll(manager, [
      endpointLockStatement(manager, ids),
      liveLeaseCounts(manager, now, ids, own),
      {
        sql:
          `SELECT e.id AS endpointId FROM endpoints e WHERE e.id IN (${placeholders(ids.length)}) AND EXISTS (` +
          `SELECT 1 FROM deliveries d WHERE d.endpoint_id = e.id AND d.status IN (${placeholders(OPEN_STATUSES.length)})` +
          ` AND ${rule.sql})`,
        params: [...ids, ...OPEN_STATUSES, ...rule.params],
      },
    ]);
    const inFlight = inFlightCounts(leases!.rows, ids, own);
    const backlog = new Set(due!.rows.map((row) => String(row.endpointId)));
    return hydrate(manager, Endpoint, locked!.rows).map((endpoint) => ({
      endpoint,
      inFlight: inFlight.get(endpoint.id) ?? 0,
      backlog: backlog.has(endpoint.id),
    }));
  }

  /** Gives leases back (shutdown before an attempt started): the deliveries are due again at once. */
  async releaseLeases(ids: readonly string[], leaseToken: string): Promise<void> {
    if (ids.length === 0) return;
    await inDispatchTransaction(this.dataSource, (manager) =>
      manager.update(
        Delivery,
        { id: In([...ids]), leaseOwner: leaseToken },
        { leaseOwner: null, leaseExpiresAt: null },
      ),
    );
  }

  /**
   * Endpoints that can start nothing now: their requests in flight (live leases of every other
   * worker, this dispatcher's own requests from memory) fill their in-flight cap, or their rate
   * window is full (the dispatcher is told when it frees up). One packet of two reads.
   */
  private async saturatedEndpoints(
    manager: EntityManager,
    now: Date,
    request: Pick<ClaimRequest, 'own' | 'onRateLimited'>,
  ): Promise<Set<string>> {
    const { own } = request;
    const count = others(own);
    const [leases, rates] = await queryAll(manager, [
      {
        sql:
          `SELECT d.endpoint_id AS endpointId, ${count.sql} AS n, e.max_concurrency AS maxConcurrency,` +
          ' e.consecutive_failures AS consecutiveFailures' +
          ' FROM deliveries d INNER JOIN endpoints e ON e.id = d.endpoint_id' +
          ` WHERE d.status IN (${placeholders(OPEN_STATUSES.length)}) AND d.lease_expires_at > ?` +
          ' GROUP BY d.endpoint_id, e.max_concurrency, e.consecutive_failures',
        params: [...count.params, ...OPEN_STATUSES, instant(manager, now)],
      },
      {
        sql:
          'SELECT s.endpoint_id AS endpointId, s.started_at_ms AS atMs, s.starts AS n,' +
          ' e.rate_limit_per_second AS rate FROM endpoint_rate_starts s' +
          ' INNER JOIN endpoints e ON e.id = s.endpoint_id WHERE s.started_at_ms > ?',
        params: [now.getTime() - RATE_WINDOW_MS],
      },
    ]);
    const saturated = new Set<string>();
    for (const row of leases!.rows) {
      const cap = allowedInFlight({
        maxConcurrency: Number(row.maxConcurrency),
        consecutiveFailures: Number(row.consecutiveFailures),
      });
      const endpointId = String(row.endpointId);
      if (Number(row.n) + (own?.inFlight.get(endpointId) ?? 0) >= cap) saturated.add(endpointId);
    }
    const rateOf = new Map(rates!.rows.map((row) => [String(row.endpointId), Number(row.rate) || null]));
    for (const [endpointId, starts] of recordedStarts(rates!.rows)) {
      const wait = rateWindow(rateOf.get(endpointId) ?? null, starts)?.msUntilAllowed(now.getTime()) ?? 0;
      if (wait > 0) {
        saturated.add(endpointId);
        request.onRateLimited?.(wait);
      }
    }
    return saturated;
  }

  /**
   * Records this round's starts to rate-limited endpoints (the window the next claim of any worker
   * reads) and deletes the locked endpoints' starts that have left the window. Deferred writes: they
   * go out with the lease UPDATE, and the endpoint locks are held until the COMMIT.
   */
  private async recordRateStarts(
    manager: EntityManager,
    claim: string,
    nowMs: number,
    started: ReadonlyMap<string, number>,
    recorded: ReadonlyMap<string, RecordedStarts[]>,
  ): Promise<void> {
    const cutoff = nowMs - RATE_WINDOW_MS;
    const stale = [...recorded]
      .filter(([, starts]) => starts.some((s) => s.atMs <= cutoff))
      .map(([id]) => id);
    if (stale.length > 0) {
      await deferWrite(
        manager,
        `DELETE FROM endpoint_rate_starts WHERE endpoint_id IN (${placeholders(stale.length)}) AND started_at_ms <= ?`,
        [...stale, cutoff],
      );
    }
    await insertRows(
      manager,
      EndpointRateStart,
      [...started].map(([endpointId, starts]) => ({ endpointId, claim, startedAtMs: nowMs, starts })),
    );
  }

  /** Settles deliveries without an attempt (a deferred write: it goes out with the lease UPDATE). */
  private async settle(manager: EntityManager, ids: string[], status: 'cancelled' | 'dead', now: Date) {
    if (ids.length === 0) return;
    await deferWrite(
      manager,
      'UPDATE deliveries SET status = ?, next_attempt_at = NULL, lease_owner = NULL, lease_expires_at = NULL,' +
        ` updated_at = ? WHERE id IN (${placeholders(ids.length)}) AND status IN (${placeholders(OPEN_STATUSES.length)})`,
      [status, instant(manager, now), ...ids, ...OPEN_STATUSES],
    );
  }
}

/** Rows of `endpoint_rate_starts` (endpointId, atMs, n) grouped by endpoint. */
function recordedStarts(rows: Record<string, unknown>[]): Map<string, RecordedStarts[]> {
  const byEndpoint = new Map<string, RecordedStarts[]>();
  for (const row of rows) {
    const endpointId = String(row.endpointId);
    const starts = byEndpoint.get(endpointId) ?? [];
    starts.push({ atMs: Number(row.atMs), count: Number(row.n) });
    byEndpoint.set(endpointId, starts);
  }
  return byEndpoint;
}

/** Requests in flight per endpoint, the statement: other workers' live leases (see inFlightCounts). */
function liveLeaseCounts(
  manager: EntityManager,
  now: Date,
  endpointIds: string[],
  own: OwnRequests | undefined,
): { sql: string; params: unknown[] } {
  const count = others(own);
  return {
    sql:
      `SELECT d.endpoint_id AS endpointId, ${count.sql} AS n FROM deliveries d` +
      ` WHERE d.status IN (${placeholders(OPEN_STATUSES.length)}) AND d.lease_expires_at > ?` +
      ` AND d.endpoint_id IN (${placeholders(endpointIds.length)}) GROUP BY d.endpoint_id`,
    params: [...count.params, ...OPEN_STATUSES, instant(manager, now), ...endpointIds],
  };
}

/** Requests in flight per endpoint: other workers' live leases (rows of liveLeaseCounts) plus this dispatcher's own requests. */
function inFlightCounts(
  rows: Record<string, unknown>[],
  endpointIds: string[],
  own: OwnRequests | undefined,
): Map<string, number> {
  const counts = new Map(rows.map((row) => [String(row.endpointId), Number(row.n)]));
  for (const id of endpointIds) {
    const mine = own?.inFlight.get(id) ?? 0;
    if (mine > 0) counts.set(id, (counts.get(id) ?? 0) + mine);
  }
  return counts;
}

/** The due window of one status, the statement: oldest due first, saturated endpoints left out. */
function dueWindow(
  manager: EntityManager,
  status: DeliveryStatus,
  now: Date,
  window: number,
  saturated: Set<string>,
): { sql: string; params: unknown[] } {
  const rule = claimable(manager, now);
  const skip = saturated.size > 0 ? ` AND d.endpoint_id NOT IN (${placeholders(saturated.size)})` : '';
  return selectStatement(
    manager,
    Delivery,
    'd',
    `d.status = ? AND ${rule.sql}${skip}`,
    [status, ...rule.params, ...saturated, window],
    'ORDER BY d.next_attempt_at ASC, d.id ASC LIMIT ?',
  );
}

/**
 * The live-lease count to select: every lease, or (for a dispatcher counting its own requests from
 * memory) every lease but that dispatcher's, whose prefix is the parameter (compared with SUBSTR
 * rather than LIKE, so no character of the host name is a wildcard).
 */
function others(own: OwnRequests | undefined): { sql: string; params: unknown[] } {
  if (!own) return { sql: 'COUNT(*)', params: [] };
  return {
    sql: `SUM(CASE WHEN SUBSTR(d.lease_owner, 1, ${Math.trunc(own.leasePrefix.length)}) = ? THEN 0 ELSE 1 END)`,
    params: [own.leasePrefix],
  };
}

/** A point in time as the database compares it with the deliveries' datetime columns. */
function instant(manager: EntityManager, at: Date): unknown {
  return persisted(manager, Delivery, 'nextAttemptAt', at);
}

/**
 * The rule for deliveries (alias `d`) a claim may take, status aside: due by `now`, no live lease,
 * not a test delivery. The due probe reads with the same rule, so it wakes a dispatcher only for
 * what a claim could take.
 */
function claimable(manager: EntityManager, now: Date): { sql: string; params: unknown[] } {
  const at = instant(manager, now);
  return {
    sql: "d.next_attempt_at <= ? AND (d.lease_expires_at IS NULL OR d.lease_expires_at <= ?) AND d.`trigger` <> 'test'",
    params: [at, at],
  };
}

function interleave<T>(a: T[], b: T[]): T[] {
  const out: T[] = [];
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if (i < a.length) out.push(a[i]!);
    if (i < b.length) out.push(b[i]!);
  }
  return out;
}

import { Inject, Injectable } from '@nestjs/common';
import {
  DataSource,
  EntityManager,
  In,
  LessThan,
  LessThanOrEqual,
  MoreThan,
  MoreThanOrEqual,
  Not,
} from 'typeorm';
import { newId } from '../common/ids';
import type { AppConfig } from '../config/config';
import { APP_CONFIG } from '../config/config.module';
import { hydrate, insertRows, placeholders, rowsByIdsStatement } from '../database/rows';
import { deferWrite, queryAll, Statement } from '../database/statement-pipeline';
import { Attempt, AttemptTrigger } from '../deliveries/attempt.entity';
import { Delivery } from '../deliveries/delivery.entity';
import { DisabledReason, Endpoint } from '../endpoints/endpoint.entity';
import { endpointLockStatement, lockEndpoints } from '../endpoints/endpoint-locks';
import { OutgoingRequest, SendResult } from '../net/http-sender';
import { decideOutcome, isSuccessfulAttempt, Outcome, summarizeSendResult } from './attempt-outcome';
import { OPEN_STATUSES } from './delivery-claims';
import { inDispatchTransaction } from './dispatch-transaction';
import {
  DisableRule,
  FailureStreak,
  isCircuitOpen,
  nextStreak,
  shouldDisableFailingEndpoint,
} from './endpoint-health';

interface Planned {
  now: Date;
  succeeded: boolean;
  outcome: Outcome;
  attempt: Attempt;
  update: Partial<Delivery>;
  /** The attempt still held the lease: clear it. */
  clearLease: boolean;
}

function sameStreak(a: FailureStreak, b: FailureStreak): boolean {
  const since =
    a.failingSince === null || b.failingSince === null
      ? a.failingSince === b.failingSince
      : a.failingSince.getTime() === b.failingSince.getTime();
  return since && a.consecutiveFailures === b.consecutiveFailures;
}

export interface AttemptRecord {
  delivery: Delivery;
  leaseToken: string;
  request: OutgoingRequest;
  result: SendResult;
  trigger: AttemptTrigger;
  retryOnFailure: boolean;
}

export interface RecordedAttempt {
  attempt: Attempt;
  outcome: Outcome;
  /** The delivery as stored after this attempt. */
  delivery: Delivery;
  /** A probe succeeded: the endpoint's held backlog was made due now. */
  releasedBacklog: boolean;
  /** The endpoint was disabled by this attempt (`gone` or `failing`). */
  disabledEndpoint: DisabledReason | null;
}

/** Most finished attempts written in one transaction. */
const MAX_RECORD_BATCH = 64;

interface Pending {
  input: AttemptRecord;
  random: () => number;
  resolve: (recorded: RecordedAttempt) => void;
  reject: (error: unknown) => void;
}

/** Columns of `deliveries` an attempt's outcome writes, in the order of the batched UPDATE. */
const OUTCOME_COLUMNS: (keyof Delivery)[] = [
  'status',
  'attempts',
  'nextAttemptAt',
  'lastAttemptAt',
  'lastStatusCode',
  'lastError',
  'updatedAt',
];

/**
 * How long the first attempt of a record batch waits for others to share its transaction (fewer
 * commits under load; measured in docs/benchmarks.md, round 5). A success's request slot is freed
 * on its response, so only failures wait for it.
 */
const RECORD_GATHER_MS = 2;

/**
 * Endpoints (`endpointRead`, locking or not; none when null), then deliveries as stored, in one
 * packet: the endpoint rows first (the lock order every writer and claimer follows), and the
 * deliveries read once any locks are granted, as if read after them in a round trip of their own.
 */
async function readEndpointsThenDeliveries(
  manager: EntityManager,
  endpointRead: Statement | null,
  deliveryIds: readonly string[],
): Promise<{ endpoints: Endpoint[]; deliveries: Delivery[] }> {
  const reads = await queryAll(manager, [
    ...(endpointRead ? [endpointRead] : []),
    rowsByIdsStatement(manager, Delivery, deliveryIds),
  ]);
  const deliveries = hydrate(manager, Delivery, reads.pop()!.rows);
  return { endpoints: hydrate(manager, Endpoint, reads[0]?.rows ?? []), deliveries };
}

/**
 * Writes what one attempt did, in ONE transaction: the attempt row, the delivery's new state (lease
 * cleared), the endpoint's failure streak, disabling (`gone`, `failing`) with its open deliveries
 * going `dead`, and the circuit: a failed probe holds the backlog behind the next probe, a successful
 * one releases it. Test deliveries touch nothing of the endpoint.
 *
 * Attempts that finish within RECORD_GATHER_MS of the first one, or while a write is in progress,
 * are written together in the next transaction (group commit: one commit, one fsync and one endpoint
 * lock for many attempts) with exactly the sequential rules: each attempt's outcome is applied in
 * order, the endpoint row is written only when its streak changed, and from the first attempt that
 * disables the endpoint or moves its circuit on, the rest of the batch is written one by one as
 * before. A batch that fails is retried attempt by attempt, so one bad row cannot fail the others.
 */
@Injectable()
export class AttemptRecorder {
  private readonly queue: Pending[] = [];
  private flushing = false;

  constructor(
    private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  record(input: AttemptRecord, random: () => number = Math.random): Promise<RecordedAttempt> {
    return new Promise((resolve, reject) => {
      this.queue.push({ input, random, resolve, reject });
      if (!this.flushing) {
        this.flushing = true;
        // Attempts finishing within the next millisecond or two share the first transaction.
        setTimeout(() => void this.flush(), RECORD_GATHER_MS);
      }
    });
  }

  private async flush(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, MAX_RECORD_BATCH);
        try {
          const recorded = await inDispatchTransaction(this.dataSource, (manager) =>
            this.recordBatchIn(manager, batch),
          );
          for (const [i, pending] of batch.entries()) pending.resolve(recorded[i]!);
        } catch (error) {
          if (batch.length === 1) {
            batch[0]!.reject(error);
            continue;
          }
          // Each on its own: whichever attempt broke the batch fails alone.
          await Promise.all(
            batch.map((pending) =>
              inDispatchTransaction(this.dataSource, (manager) =>
                this.recordIn(manager, pending.input, pending.random),
              ).then(pending.resolve, pending.reject),
            ),
          );
        }
      }
    } finally {
      this.flushing = false;
    }
  }

  private async recordBatchIn(manager: EntityManager, batch: Pending[]): Promise<RecordedAttempt[]> {
    const ids = new Set(batch.map((pending) => pending.input.delivery.id));
    if (batch.length === 1 || ids.size < batch.length) {
      const results: RecordedAttempt[] = [];
      for (const pending of batch) results.push(await this.recordIn(manager, pending.input, pending.random));
      return results;
    }
    // The endpoint rows first (the lock order every writer and claimer follows), then the deliveries.
    const endpointIds = [
      ...new Set(
        batch
          .filter((pending) => pending.input.delivery.trigger !== 'test')
          .map((pending) => pending.input.delivery.endpointId),
      ),
    ].sort();
    const read = await this.readBatch(manager, batch, endpointIds, [...ids]);
    const streaks = new Map(
      read.endpoints.map((endpoint) => [
        endpoint.id,
        { consecutiveFailures: endpoint.consecutiveFailures, failingSince: endpoint.failingSince },
      ]),
    );
    const currents = new Map(read.deliveries.map((row) => [row.id, row]));

    const results: RecordedAttempt[] = [];
    const attempts: Attempt[] = [];
    const updates: { id: string; update: Partial<Delivery>; clearLease: boolean }[] = [];
    const dirty = new Set<string>();
    const flushWrites = async () => {
      await insertRows(manager, Attempt, attempts.splice(0));
      await this.updateDeliveries(manager, updates.splice(0));
      for (const id of dirty) await manager.update(Endpoint, { id }, streaks.get(id)!);
      dirty.clear();
    };

    for (const [index, pending] of batch.entries()) {
      const { input } = pending;
      const current = currents.get(input.delivery.id);
      if (!current)
        throw new Error(`delivery ${input.delivery.id} disappeared before its attempt was recorded`);
      const isTest = current.trigger === 'test';
      const streak = isTest ? undefined : streaks.get(current.endpointId);
      if (!isTest && !streak) throw new Error(`endpoint ${current.endpointId} disappeared`);
      const planned = this.plan(input, current, pending.random);
      if (streak) {
        const next = nextStreak(streak, planned.succeeded, planned.now);
        const action = this.endpointAction(planned, streak, next);
        if (action !== 'none') {
          // Disabling or moving the circuit changes other deliveries: write what came before, then
          // the rest one by one exactly as a lone attempt is written.
          await flushWrites();
          for (const rest of batch.slice(index)) {
            results.push(await this.recordIn(manager, rest.input, rest.random));
          }
          return results;
        }
        if (!sameStreak(next, streak)) {
          streaks.set(current.endpointId, next);
          dirty.add(current.endpointId);
        }
      }
      attempts.push(planned.attempt);
      updates.push({ id: current.id, update: planned.update, clearLease: planned.clearLease });
      results.push({
        attempt: planned.attempt,
        outcome: planned.outcome,
        delivery: {
          ...current,
          ...planned.update,
          ...(planned.clearLease ? { leaseOwner: null, leaseExpiresAt: null } : {}),
        },
        releasedBacklog: false,
        disabledEndpoint: null,
      });
    }
    await flushWrites();
    return results;
  }

  /**
   * The batch's endpoints and its deliveries, in one packet (readEndpointsThenDeliveries). The
   * endpoints are locked in id order unless the batch cannot change them: when every attempt
   * succeeded and every endpoint (read without a lock) has no failure streak, the batch writes no
   * endpoint row and takes no endpoint action (a success on a clean streak changes nothing), so it
   * need not queue behind claims for the endpoint locks. A streak committed by another writer after
   * that read is ordered after this batch, which neither read nor wrote it; leases cleared here only
   * lower the counts a claim makes under the lock. Anything else: locked, and the deliveries read
   * again behind the locks.
   */
  private async readBatch(
    manager: EntityManager,
    batch: Pending[],
    endpointIds: string[],
    deliveryIds: string[],
  ): Promise<{ endpoints: Endpoint[]; deliveries: Delivery[] }> {
    if (endpointIds.length === 0) return readEndpointsThenDeliveries(manager, null, deliveryIds);
    const allSucceeded = batch.every(({ input }) => isSuccessfulAttempt(summarizeSendResult(input.result)));
    if (allSucceeded) {
      const unlocked = rowsByIdsStatement(manager, Endpoint, endpointIds);
      const read = await readEndpointsThenDeliveries(manager, unlocked, deliveryIds);
      const clean = read.endpoints.every((e) => e.consecutiveFailures === 0 && e.failingSince === null);
      if (clean && read.endpoints.length === endpointIds.length) return read;
    }
    return readEndpointsThenDeliveries(manager, endpointLockStatement(manager, endpointIds), deliveryIds);
  }

  private get disableRule(): DisableRule {
    return { disableAfterMs: this.config.disableAfterMs, minFailures: this.config.disableMinFailures };
  }

  /** What an attempt does to its endpoint beyond its streak: disable it, or move its circuit on. */
  private endpointAction(
    planned: Planned,
    before: FailureStreak,
    streak: FailureStreak,
  ): 'none' | DisabledReason | 'hold' | 'release' {
    if (planned.outcome.endpointAction === 'disable_gone') return 'gone';
    if (shouldDisableFailingEndpoint(streak, planned.now, this.disableRule)) return 'failing';
    if (!planned.succeeded && isCircuitOpen(streak.consecutiveFailures) && planned.update.nextAttemptAt)
      return 'hold';
    if (planned.succeeded && isCircuitOpen(before.consecutiveFailures)) return 'release';
    return 'none';
  }

  /** The attempt row and the delivery's new state, from the delivery as stored now. */
  private plan(input: AttemptRecord, current: Delivery, random: () => number): Planned {
    const { result } = input;
    const now = new Date(result.startedAt.getTime() + result.durationMs);
    const isTest = current.trigger === 'test';
    const summary = summarizeSendResult(result);
    const succeeded = isSuccessfulAttempt(summary);
    const attemptNumber = current.attempts + 1;
    const outcome = decideOutcome({
      result: summary,
      attemptNumber,
      schedule: this.config.retrySchedule,
      now,
      random,
      retryOnFailure: input.retryOnFailure && !isTest,
    });
    const attempt: Attempt = {
      id: newId('att'),
      deliveryId: current.id,
      endpointId: current.endpointId,
      tenantId: current.tenantId,
      attemptNumber,
      trigger: input.trigger,
      startedAt: result.startedAt,
      durationMs: result.durationMs,
      requestUrl: input.request.url,
      requestHeaders: input.request.headers,
      responseStatus: result.response?.status ?? null,
      responseHeaders: result.response?.headers ?? null,
      responseBody: result.response?.body ?? null,
      responseBodyTruncated: result.response?.bodyTruncated ?? false,
      errorCode: result.error?.code ?? null,
      errorMessage: result.error?.message ?? null,
    };
    // Still ours and open: apply the outcome. Settled meanwhile (endpoint deleted or disabled while
    // the request was in flight): keep that status, unless this attempt actually delivered.
    const stillOurs = current.leaseOwner === input.leaseToken && OPEN_STATUSES.includes(current.status);
    const status = stillOurs || succeeded ? outcome.status : current.status;
    const update: Partial<Delivery> = {
      status,
      attempts: attemptNumber,
      nextAttemptAt: status === 'pending' || status === 'retrying' ? outcome.nextAttemptAt : null,
      lastAttemptAt: result.startedAt,
      lastStatusCode: result.response?.status ?? null,
      lastError: result.error?.code ?? null,
      updatedAt: now,
    };
    return { now, succeeded, outcome, attempt, update, clearLease: current.leaseOwner === input.leaseToken };
  }

  /**
   * One UPDATE for many deliveries (`CASE id WHEN … THEN …` per column), lease cleared where the
   * attempt still held it; a deferred write. Values go through the driver's own conversion, as
   * `manager.update` does.
   */
  private async updateDeliveries(
    manager: EntityManager,
    updates: { id: string; update: Partial<Delivery>; clearLease: boolean }[],
  ): Promise<void> {
    if (updates.length === 0) return;
    const metadata = manager.connection.getMetadata(Delivery);
    const driver = manager.connection.driver;
    const quote = (name: string) => driver.escape(name);
    const params: unknown[] = [];
    const sets: string[] = [];
    for (const property of OUTCOME_COLUMNS) {
      const column = metadata.findColumnWithPropertyName(property)!;
      const cases = updates.map(({ id, update }) => {
        params.push(id, driver.preparePersistentValue(update[property], column));
        return 'WHEN ? THEN ?';
      });
      sets.push(`${quote(column.databaseName)} = CASE ${quote('id')} ${cases.join(' ')} END`);
    }
    const clearing = updates.filter((u) => u.clearLease).map((u) => u.id);
    if (clearing.length > 0) {
      for (const name of ['lease_owner', 'lease_expires_at']) {
        sets.push(
          `${quote(name)} = CASE WHEN ${quote('id')} IN (${placeholders(clearing.length)}) THEN NULL ELSE ${quote(name)} END`,
        );
        params.push(...clearing);
      }
    }
    params.push(...updates.map((u) => u.id));
    await deferWrite(
      manager,
      `UPDATE ${quote(metadata.tableName)} SET ${sets.join(', ')} WHERE ${quote('id')} IN (${placeholders(updates.length)})`,
      params,
    );
  }

  private async recordIn(
    manager: EntityManager,
    input: AttemptRecord,
    random: () => number,
  ): Promise<RecordedAttempt> {
    const isTest = input.delivery.trigger === 'test';
    const lock = isTest ? null : endpointLockStatement(manager, [input.delivery.endpointId]);
    const read = await readEndpointsThenDeliveries(manager, lock, [input.delivery.id]);
    const [endpoint] = read.endpoints;
    const [current] = read.deliveries;
    if (!current)
      throw new Error(`delivery ${input.delivery.id} disappeared before its attempt was recorded`);
    const planned = this.plan(input, current, random);
    const { now, succeeded, outcome, attempt, update, clearLease } = planned;
    await insertRows(manager, Attempt, [attempt]);
    if (clearLease) Object.assign(update, { leaseOwner: null, leaseExpiresAt: null });
    await manager.update(Delivery, { id: current.id }, update);
    const stored: Delivery = { ...current, ...update };

    let releasedBacklog = false;
    let disabledEndpoint: DisabledReason | null = null;
    if (endpoint) {
      const streak = nextStreak(endpoint, succeeded, now);
      // A success on an endpoint with no streak changes nothing: no write.
      if (!sameStreak(streak, endpoint)) await manager.update(Endpoint, { id: endpoint.id }, streak);
      const action = this.endpointAction(planned, endpoint, streak);
      if (action === 'gone' || action === 'failing') {
        disabledEndpoint = await this.disable(manager, endpoint, action, now);
        // Disabling killed the endpoint's open deliveries, this one too if it was still open.
        if (disabledEndpoint && OPEN_STATUSES.includes(stored.status)) {
          Object.assign(stored, { status: 'dead', nextAttemptAt: null, updatedAt: now });
        }
      } else if (action === 'hold') {
        await this.holdBacklogBehindProbe(manager, endpoint.id, current.id, update.nextAttemptAt!, now);
      } else if (action === 'release') {
        releasedBacklog = await this.releaseBacklog(manager, endpoint.id, now);
      }
    }
    return { attempt, outcome, delivery: stored, releasedBacklog, disabledEndpoint };
  }

  /** Disables an enabled endpoint; its open deliveries go `dead` (§4). Returns the reason, or null if it was not enabled. */
  private async disable(
    manager: EntityManager,
    endpoint: Endpoint,
    reason: DisabledReason,
    now: Date,
  ): Promise<DisabledReason | null> {
    const result = await manager.update(
      Endpoint,
      { id: endpoint.id, status: 'enabled' },
      { status: 'disabled', disabledReason: reason, disabledAt: now, updatedAt: now },
    );
    if (!result.affected) return null;
    await manager.update(
      Delivery,
      { endpointId: endpoint.id, status: In(OPEN_STATUSES) },
      { status: 'dead', nextAttemptAt: null, updatedAt: now },
    );
    return reason;
  }

  /**
   * The circuit is open and the probe failed: the endpoint's other due-sooner deliveries wait for the
   * next probe instead of each spending an attempt (they are neither attempted nor counted).
   */
  private async holdBacklogBehindProbe(
    manager: EntityManager,
    endpointId: string,
    probeId: string,
    nextProbeAt: Date,
    now: Date,
  ): Promise<void> {
    await manager.update(
      Delivery,
      {
        endpointId,
        status: In(OPEN_STATUSES),
        id: Not(probeId),
        trigger: Not('test'),
        nextAttemptAt: LessThan(nextProbeAt),
      },
      { nextAttemptAt: nextProbeAt, updatedAt: now },
    );
  }

  /** A probe got through: everything the endpoint is owed is due now, so recovery drains at once. */
  private async releaseBacklog(manager: EntityManager, endpointId: string, now: Date): Promise<boolean> {
    const result = await manager.update(
      Delivery,
      { endpointId, status: In(OPEN_STATUSES), nextAttemptAt: MoreThan(now) },
      { nextAttemptAt: now, updatedAt: now },
    );
    return (result.affected ?? 0) > 0;
  }

  /**
   * The disable rule also holds for endpoints that are not being attempted (e.g. a backlog held behind
   * a probe scheduled hours away): disables every enabled endpoint whose streak already qualifies.
   */
  async disableFailingEndpoints(now: Date): Promise<string[]> {
    const cutoff = new Date(now.getTime() - this.config.disableAfterMs);
    const suspects = await this.dataSource.getRepository(Endpoint).find({
      select: { id: true },
      where: {
        status: 'enabled',
        failingSince: LessThanOrEqual(cutoff),
        consecutiveFailures: MoreThanOrEqual(Math.max(1, this.config.disableMinFailures)),
      },
    });
    const disabled: string[] = [];
    for (const { id } of suspects) {
      const done = await inDispatchTransaction(this.dataSource, async (manager) => {
        const [endpoint] = await lockEndpoints(manager, [id]);
        if (endpoint?.status !== 'enabled') return false;
        if (!shouldDisableFailingEndpoint(endpoint, now, this.disableRule)) return false;
        return (await this.disable(manager, endpoint, 'failing', now)) !== null;
      });
      if (done) disabled.push(id);
    }
    return disabled;
  }
}

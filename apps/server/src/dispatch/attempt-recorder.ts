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
import { Attempt, AttemptTrigger } from '../deliveries/attempt.entity';
import { Delivery } from '../deliveries/delivery.entity';
import { DisabledReason, Endpoint } from '../endpoints/endpoint.entity';
import { OutgoingRequest, SendResult } from '../net/http-sender';
import { decideOutcome, isSuccessfulAttempt, Outcome } from './attempt-outcome';
import { OPEN_STATUSES } from './delivery-claims';
import { inDispatchTransaction, lockEndpoints } from './dispatch-transaction';
import { isCircuitOpen, nextStreak, shouldDisableFailingEndpoint } from './endpoint-health';

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

/**
 * Writes what one attempt did, in ONE transaction: the attempt row, the delivery's new state (lease
 * cleared), the endpoint's failure streak, disabling (`gone`, `failing`) with its open deliveries
 * going `dead`, and the circuit: a failed probe holds the backlog behind the next probe, a successful
 * one releases it. Test deliveries touch nothing of the endpoint.
 */
@Injectable()
export class AttemptRecorder {
  constructor(
    private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  record(input: AttemptRecord, random: () => number = Math.random): Promise<RecordedAttempt> {
    return inDispatchTransaction(this.dataSource, (manager) => this.recordIn(manager, input, random));
  }

  private async recordIn(
    manager: EntityManager,
    input: AttemptRecord,
    random: () => number,
  ): Promise<RecordedAttempt> {
    const { result } = input;
    const now = new Date(result.startedAt.getTime() + result.durationMs);
    const isTest = input.delivery.trigger === 'test';
    const summary = {
      statusCode: result.response?.status ?? null,
      errorCode: result.error?.code ?? null,
      retryAfter: result.response?.headers['retry-after'] ?? null,
    };
    const succeeded = isSuccessfulAttempt(summary);

    // The endpoint row first (the lock order every writer and claimer follows), then the delivery.
    const [endpoint] = isTest ? [undefined] : await lockEndpoints(manager, [input.delivery.endpointId]);
    const current = await manager.findOneByOrFail(Delivery, { id: input.delivery.id });
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
    await manager.insert(Attempt, attempt);

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
    if (current.leaseOwner === input.leaseToken)
      Object.assign(update, { leaseOwner: null, leaseExpiresAt: null });
    await manager.update(Delivery, { id: current.id }, update);

    let releasedBacklog = false;
    let disabledEndpoint: DisabledReason | null = null;
    if (endpoint) {
      const streak = nextStreak(endpoint, succeeded, now);
      await manager.update(Endpoint, { id: endpoint.id }, streak);
      if (outcome.endpointAction === 'disable_gone') {
        disabledEndpoint = await this.disable(manager, endpoint, 'gone', now);
      } else if (
        shouldDisableFailingEndpoint(streak, now, {
          disableAfterMs: this.config.disableAfterMs,
          minFailures: this.config.disableMinFailures,
        })
      ) {
        disabledEndpoint = await this.disable(manager, endpoint, 'failing', now);
      } else if (!succeeded && isCircuitOpen(streak.consecutiveFailures) && update.nextAttemptAt) {
        await this.holdBacklogBehindProbe(manager, endpoint.id, current.id, update.nextAttemptAt, now);
      } else if (succeeded && isCircuitOpen(endpoint.consecutiveFailures)) {
        releasedBacklog = await this.releaseBacklog(manager, endpoint.id, now);
      }
    }

    const stored = await manager.findOneByOrFail(Delivery, { id: current.id });
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
        const rule = {
          disableAfterMs: this.config.disableAfterMs,
          minFailures: this.config.disableMinFailures,
        };
        if (!shouldDisableFailingEndpoint(endpoint, now, rule)) return false;
        return (await this.disable(manager, endpoint, 'failing', now)) !== null;
      });
      if (done) disabled.push(id);
    }
    return disabled;
  }
}

import { Inject, Injectable, Logger } from '@nestjs/common';
import { DataSource, In } from 'typeorm';
import { Clock } from '../common/clock';
import type { AppConfig } from '../config/config';
import { APP_CONFIG } from '../config/config.module';
import { Delivery } from '../deliveries/delivery.entity';
import { DeliverySignal } from '../deliveries/delivery-signal';
import { Endpoint } from '../endpoints/endpoint.entity';
import { EndpointSecrets } from '../endpoints/endpoint-secrets';
import { WebhookEvent } from '../events/event.entity';
import { DeliveryMetrics } from '../metrics/delivery-metrics';
import { isSuccessfulAttempt, summarizeSendResult } from './attempt-outcome';
import { AttemptRecorder, RecordedAttempt } from './attempt-recorder';
import { DeliveryClaims, leaseTokenFactory, OPEN_STATUSES } from './delivery-claims';
import { buildDeliveryRequest } from './delivery-request';
import { DeliverySender } from './delivery-sender';
import { inDispatchTransaction } from './dispatch-transaction';

export interface AttemptOptions {
  /** `manual` for `POST /deliveries/{id}/retry` and test deliveries; `scheduled` for the dispatcher. */
  trigger: 'manual' | 'scheduled';
  /** False: a failure is final (a manual attempt on a dead delivery stays dead; test deliveries). */
  retryOnFailure: boolean;
}

/** Why an attempt could not be made at all (the route maps it to 404 or 409). */
export class AttemptRefusedError extends Error {
  override readonly name = 'AttemptRefusedError';
  constructor(
    readonly reason: 'not_found' | 'settled' | 'busy' | 'endpoint_unavailable',
    message: string,
  ) {
    super(message);
  }
}

/**
 * How long a lease lasts: the request timeout, plus as much again (at least 5 s) to record the
 * result. A live worker always finishes first; a crashed worker's deliveries are due again after it.
 */
function leaseDuration(requestTimeoutMs: number): number {
  return requestTimeoutMs + Math.max(5_000, requestTimeoutMs);
}

/**
 * Makes one attempt of one delivery: loads its event and endpoint, signs with every active secret at
 * the attempt's time, sends, and records the result (AttemptRecorder). The dispatcher calls
 * `attemptLeased` for what it claimed; routes call `attemptOnce` (retry of a dead delivery, tests).
 */
@Injectable()
export class DeliveryAttempter {
  private readonly logger = new Logger('DeliveryAttempter');
  private readonly nextLeaseToken = leaseTokenFactory();

  constructor(
    private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly clock: Clock,
    private readonly secrets: EndpointSecrets,
    private readonly sender: DeliverySender,
    private readonly claims: DeliveryClaims,
    private readonly recorder: AttemptRecorder,
    private readonly metrics: DeliveryMetrics,
    private readonly signal: DeliverySignal,
  ) {}

  get leaseMs(): number {
    return leaseDuration(this.config.requestTimeoutMs);
  }

  /**
   * One attempt now, whatever the delivery's schedule. A test delivery (trigger `test`) never changes
   * its endpoint's streak or status and is never retried; a dead delivery stays dead if it fails.
   * Throws AttemptRefusedError when the delivery is unknown, settled (succeeded/cancelled), being
   * attempted right now, or its endpoint is deleted or (for non-test deliveries) disabled. Returns
   * the attempt and the delivery as stored after it.
   */
  async attemptOnce(deliveryId: string, options: AttemptOptions): Promise<RecordedAttempt> {
    const existing = await this.dataSource.getRepository(Delivery).findOneBy({ id: deliveryId });
    if (!existing) throw new AttemptRefusedError('not_found', `delivery ${deliveryId} does not exist`);
    if (existing.status === 'succeeded' || existing.status === 'cancelled') {
      throw new AttemptRefusedError('settled', `delivery ${deliveryId} is ${existing.status}`);
    }
    const endpoint = await this.dataSource.getRepository(Endpoint).findOneBy({ id: existing.endpointId });
    if (!endpoint || endpoint.deletedAt !== null) {
      throw new AttemptRefusedError(
        'endpoint_unavailable',
        `the endpoint of delivery ${deliveryId} was deleted`,
      );
    }
    if (endpoint.status !== 'enabled' && existing.trigger !== 'test') {
      throw new AttemptRefusedError(
        'endpoint_unavailable',
        `endpoint ${endpoint.id} is disabled; enable it first`,
      );
    }
    const leaseToken = this.nextLeaseToken();
    const leased = await this.claims.leaseOne(deliveryId, {
      leaseToken,
      now: this.clock.now(),
      leaseMs: this.leaseMs,
    });
    if (!leased) {
      // Settled since it was read above (e.g. a concurrent retry delivered it), or leased right now.
      const latest = await this.dataSource.getRepository(Delivery).findOneBy({ id: deliveryId });
      if (latest?.status === 'succeeded' || latest?.status === 'cancelled') {
        throw new AttemptRefusedError('settled', `delivery ${deliveryId} is ${latest.status}`);
      }
      throw new AttemptRefusedError('busy', `delivery ${deliveryId} is being attempted right now`);
    }
    const recorded = await this.attemptLeased(leased, leaseToken, options, { skipEndpointCheck: true });
    if (!recorded)
      throw new AttemptRefusedError('endpoint_unavailable', `delivery ${deliveryId} cannot be attempted`);
    return recorded;
  }

  /**
   * Attempts a delivery this process holds the lease of. Returns null (and settles the delivery, if
   * still open) when its endpoint is gone or disabled, or its event is missing.
   */
  async attemptLeased(
    delivery: Delivery,
    leaseToken: string,
    options: AttemptOptions,
    flags: {
      skipEndpointCheck?: boolean;
      /** The endpoint and event as the claim read them (saves two queries per attempt). */
      preloaded?: { endpoint: Endpoint | null; event: WebhookEvent | null };
      /** Called once the request is over (response in, or failed), before its result is recorded. */
      onResponse?: (succeeded: boolean) => void;
    } = {},
  ): Promise<RecordedAttempt | null> {
    const [endpoint, event] = flags.preloaded
      ? [flags.preloaded.endpoint, flags.preloaded.event]
      : await Promise.all([
          this.dataSource.getRepository(Endpoint).findOneBy({ id: delivery.endpointId }),
          this.dataSource.getRepository(WebhookEvent).findOneBy({ id: delivery.eventId }),
        ]);
    const isTest = delivery.trigger === 'test';
    if (!endpoint || endpoint.deletedAt !== null || !event) {
      await this.settleWithoutAttempt(delivery, leaseToken, 'cancelled');
      return null;
    }
    if (endpoint.status !== 'enabled' && !isTest && !flags.skipEndpointCheck) {
      await this.settleWithoutAttempt(delivery, leaseToken, 'dead');
      return null;
    }

    const now = this.clock.now();
    const request = buildDeliveryRequest({
      url: endpoint.url,
      customHeaders: endpoint.headers,
      eventId: event.id,
      eventType: event.type,
      payload: event.payload,
      secrets: this.secrets.activeSecrets(endpoint, now),
      userAgent: this.config.userAgent,
      now,
    });
    const result = await this.sender.send(request);
    flags.onResponse?.(isSuccessfulAttempt(summarizeSendResult(result)));
    const recorded = await this.recorder.record({
      delivery,
      leaseToken,
      request,
      result,
      trigger: options.trigger,
      retryOnFailure: options.retryOnFailure && !isTest,
    });
    this.metrics.observeAttempt({
      succeeded: recorded.outcome.status === 'succeeded',
      errorCode: recorded.attempt.errorCode,
      trigger: isTest ? 'test' : options.trigger,
      durationMs: result.durationMs,
      outcome: recorded.delivery.status,
    });
    if (recorded.disabledEndpoint) {
      this.logger.warn(`endpoint ${endpoint.id} disabled (${recorded.disabledEndpoint})`);
    }
    // A released backlog is due now: wake the local dispatcher instead of waiting for its poll.
    if (recorded.releasedBacklog) this.signal.notify();
    return recorded;
  }

  private async settleWithoutAttempt(delivery: Delivery, leaseToken: string, status: 'cancelled' | 'dead') {
    await inDispatchTransaction(this.dataSource, (manager) =>
      manager.update(
        Delivery,
        { id: delivery.id, leaseOwner: leaseToken, status: In(OPEN_STATUSES) },
        { status, nextAttemptAt: null, leaseOwner: null, leaseExpiresAt: null, updatedAt: this.clock.now() },
      ),
    );
  }
}

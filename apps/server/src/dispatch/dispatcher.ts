import {
  BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
} from '@nestjs/common';
import { Interval, SchedulerRegistry } from '@nestjs/schedule';
import type { EntityManager } from 'typeorm';
import { Clock } from '../common/clock';
import type { AppConfig } from '../config/config';
import { APP_CONFIG } from '../config/config.module';
import type { Delivery } from '../deliveries/delivery.entity';
import { DeliveryHandoff, Handoff } from '../deliveries/delivery-handoff';
import { DeliverySignal } from '../deliveries/delivery-signal';
import type { WebhookEvent } from '../events/event.entity';
import { AttemptRecorder } from './attempt-recorder';
import { DeliveryAttempter } from './delivery-attempter';
import { ClaimedDelivery, DeliveryClaims, leaseTokenFactory } from './delivery-claims';
import { allowedInFlight, mayHandOff } from './endpoint-health';

/** Requests one worker process has in flight at once (over all endpoints). */
const MAX_IN_FLIGHT_PER_WORKER = 64;
/** Attempts one worker process holds at once, counting those answered but not yet recorded. */
const MAX_UNRECORDED_PER_WORKER = 2 * MAX_IN_FLIGHT_PER_WORKER;
/**
 * How long a wake waits before its claim round, so slots freed and publishes committed meanwhile
 * share one round (fewer claim transactions under load; measured in docs/benchmarks.md, round 5).
 */
const CLAIM_GATHER_MS = 2;
/** Deliveries claimed per round trip. */
const CLAIM_BATCH = 32;
/**
 * How often a dispatcher reads whether another process made deliveries due (its publishes, its
 * retries): one indexed query, so a worker apart from the api delivers within milliseconds too.
 */
const DUE_PROBE_INTERVAL_MS = 50;
/**
 * How far back the due probe looks: deliveries other processes commit late (after one due later was
 * seen) or stamp with a lagging clock are still found within this; older ones are left to the poll.
 */
const DUE_PROBE_LOOKBACK_MS = 5_000;
/** Most due deliveries one probe reads (the latest due first): enough to see that one is new. */
const DUE_PROBE_LIMIT = 64;
/** Safety net for what neither a local signal nor the due probe announces, e.g. expired leases. */
const POLL_INTERVAL_MS = 500;
/** How often the disable rule is applied to endpoints that are not being attempted. */
const DISABLE_SWEEP_INTERVAL_MS = 30_000;
/** Extra time, beyond the request timeout, that shutdown waits for in-flight attempts. */
const DRAIN_MARGIN_MS = 5_000;

/**
 * The worker's loop: claim due deliveries, attempt them concurrently, repeat. It wakes at once on a
 * local publish (DeliverySignal), when an attempt finishes (a slot or an endpoint's cap freed up), at
 * the next retry this process scheduled, when the due probe sees deliveries another process made
 * due, and on a short poll for everything else. Wakes coalesce: a claim round starts CLAIM_GATHER_MS
 * after the first wake, at most one runs at a time, and one more is queued if a wake arrives meanwhile.
 */
@Injectable()
export class Dispatcher implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('Dispatcher');
  private readonly nextLeaseToken = leaseTokenFactory();
  /** Every attempt this process holds a lease for, until its result is recorded. */
  private readonly inFlight = new Map<string, Promise<void>>();
  /**
   * Per endpoint, this dispatcher's requests in flight: claimed and not yet answered, or answered
   * with a failure and not yet recorded (a failure's slot is held until the endpoint's streak, and
   * so its circuit, is up to date). A success frees its slot when the response is in, while the
   * lease still guards the row until the record commits. Claims count these instead of this
   * dispatcher's own leases, so `max_concurrency` bounds requests in flight, not records pending.
   */
  private readonly requests = new Map<string, number>();
  private requestCount = 0;
  /** Deliveries taken at publish whose transaction has not committed yet (their slots are held). */
  private handedOff = 0;
  /**
   * Whether the last claim round left due deliveries behind for lack of room (an endpoint's cap or
   * rate, or this worker's limits): only then can a freed slot start something, so only then does
   * an attempt's end wake a claim round. Whatever else falls due wakes one itself (a publish that
   * left deliveries unclaimed, a retry's timer, the due probe, the poll).
   */
  private leftBehind = true;
  /**
   * Whether this worker's own limits (requests in flight, unrecorded attempts) held the last claim
   * round back. Then no publish hands off: freed room goes to claim rounds, which share it fairly
   * between first attempts, retries and every endpoint's backlog, instead of to whichever publish
   * asks first.
   */
  private roomBound = false;
  private claiming = false;
  private wakeRequested = false;
  private stopping = false;
  private probing = false;
  /**
   * The claimable deliveries the probe has already seen (`<id>#<attempts>` → when), within its
   * look-back: it only wakes for one it has not, so each due delivery wakes this dispatcher once (a backlog held
   * behind a full endpoint does not keep waking it), whatever order they were committed in.
   */
  private readonly probed = new Map<string, number>();
  private retryTimer: { at: number; timer: NodeJS.Timeout } | undefined;
  private unsubscribe: (() => void) | undefined;
  /** When each recurring failure (claim, due probe) was last logged. */
  private readonly errorLoggedAt = new Map<string, number>();

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly clock: Clock,
    private readonly claims: DeliveryClaims,
    private readonly attempter: DeliveryAttempter,
    private readonly recorder: AttemptRecorder,
    private readonly signal: DeliverySignal,
    private readonly scheduler: SchedulerRegistry,
    private readonly handoff: DeliveryHandoff,
  ) {}

  private unregisterHandoff: (() => void) | undefined;

  onApplicationBootstrap(): void {
    this.unsubscribe = this.signal.subscribe(() => this.wake());
    this.unregisterHandoff = this.handoff.register({ take: (...args) => this.takeAtPublish(...args) });
    this.setPollInterval(POLL_INTERVAL_MS);
    this.setDueProbeInterval(DUE_PROBE_INTERVAL_MS);
    this.wake();
  }

  /**
   * Changes (or, with null, stops) the safety-net poll. Tests stop it to show that a publish alone
   * wakes the dispatcher; operators never need it.
   */
  setPollInterval(ms: number | null): void {
    this.replaceInterval('dispatch-poll', ms, () => this.wake());
  }

  /**
   * Changes (or, with null, stops) the due probe. Tests stop it, with the poll, to show that a
   * local publish alone wakes the dispatcher, and keep it alone to show that it finds other
   * processes' publishes.
   */
  setDueProbeInterval(ms: number | null): void {
    this.replaceInterval('dispatch-due-probe', ms, () => void this.probeDue());
  }

  /** (Re)registers a named interval with @nestjs/schedule, or removes it (null, or shutting down). */
  private replaceInterval(name: string, ms: number | null, run: () => void): void {
    if (this.scheduler.doesExist('interval', name)) this.scheduler.deleteInterval(name);
    if (ms !== null && !this.stopping) this.scheduler.addInterval(name, setInterval(run, ms));
  }

  /** Attempts running in this process now. */
  get inFlightCount(): number {
    return this.inFlight.size;
  }

  /** Asks for a claim round soon; coalesces with one already running. */
  wake(): void {
    if (this.stopping) return;
    if (this.claiming) {
      this.wakeRequested = true;
      return;
    }
    this.claiming = true;
    setTimeout(() => void this.claimRounds(), CLAIM_GATHER_MS);
  }

  private async claimRounds(): Promise<void> {
    try {
      do {
        this.wakeRequested = false;
        const limit = Math.min(CLAIM_BATCH, this.roomLeft());
        if (limit <= 0) {
          this.leftBehind = true;
          this.roomBound = true;
          break;
        }
        const leaseToken = this.nextLeaseToken();
        let capped = false;
        // The slots of what the round chose are held from its choice (ClaimRequest.onChosen).
        const held = new Map<string, number>();
        const freeHeld = () => {
          for (const [endpointId, count] of held) if (count > 0) this.freeSlots(endpointId, count);
          held.clear();
        };
        let claimed: ClaimedDelivery[];
        try {
          claimed = await this.claims.claimDueBatch({
            leaseToken,
            limit,
            now: this.clock.now(),
            leaseMs: this.attempter.leaseMs,
            onRateLimited: (waitMs) => this.wakeAt(new Date(this.clock.now().getTime() + waitMs)),
            onCapped: () => {
              capped = true;
            },
            onChosen: (perEndpoint) => {
              freeHeld();
              for (const [endpointId, count] of perEndpoint) {
                this.holdSlots(endpointId, count);
                held.set(endpointId, count);
              }
            },
            own: { leasePrefix: this.nextLeaseToken.prefix, inFlight: this.requests },
          });
        } catch (error) {
          freeHeld();
          throw error;
        }
        this.leftBehind = capped || claimed.length === limit;
        this.roomBound = claimed.length === limit && limit < CLAIM_BATCH;
        if (this.stopping) {
          freeHeld();
          await this.claims.releaseLeases(
            claimed.map((c) => c.delivery.id),
            leaseToken,
          );
          return;
        }
        for (const c of claimed) {
          this.start(c, leaseToken, { slotHeld: true });
          held.set(c.delivery.endpointId, (held.get(c.delivery.endpointId) ?? 1) - 1);
        }
        // Chosen but not leased (taken meanwhile by another worker): their slots go back.
        freeHeld();
        // A full batch: more may be due right now.
        if (claimed.length === limit) this.wakeRequested = true;
      } while (this.wakeRequested && !this.stopping);
    } catch (error) {
      this.logRecurringError('claiming deliveries', error);
    } finally {
      this.claiming = false;
    }
    if (this.wakeRequested && !this.stopping) this.wake();
  }

  /**
   * A slot or room freed: worth a claim round if the last one left due deliveries behind for lack of
   * room, or if one is running now (its outcome, and so `leftBehind`, is not known yet).
   */
  private wakeIfRoomHelps(): void {
    if (this.leftBehind || this.claiming) this.wake();
  }

  /** Requests this worker may still start: under both of its limits, counting handoffs not yet committed. */
  private roomLeft(): number {
    return Math.min(
      MAX_IN_FLIGHT_PER_WORKER - this.requestCount,
      MAX_UNRECORDED_PER_WORKER - this.inFlight.size - this.handedOff,
    );
  }

  private holdSlots(endpointId: string, count: number): void {
    this.requests.set(endpointId, (this.requests.get(endpointId) ?? 0) + count);
    this.requestCount += count;
  }

  private freeSlots(endpointId: string, count: number): void {
    this.requestCount -= count;
    const left = (this.requests.get(endpointId) ?? count) - count;
    if (left > 0) this.requests.set(endpointId, left);
    else this.requests.delete(endpointId);
  }

  /**
   * The handoff at publish (DeliveryHandoff): inside the publish transaction, leases the new
   * deliveries this worker can start now, endpoint by endpoint under the same rule as a claim
   * (`max_concurrency` counting every worker's requests, under the endpoint's lock), and only for an
   * endpoint with a clean record (no failure streak, so no circuit), no `rate_limit_per_second`
   * and no due backlog (a claim drains that first, oldest first). Their slots are held from here; they
   * start when the publish commits, or are given back if it does not.
   */
  private async takeAtPublish(
    manager: EntityManager,
    deliveries: readonly Delivery[],
    events: readonly WebhookEvent[],
  ): Promise<Handoff | null> {
    if (this.stopping || this.roomBound || this.roomLeft() <= 0) return null;
    const byEndpoint = new Map<string, Delivery[]>();
    for (const delivery of deliveries) {
      const queue = byEndpoint.get(delivery.endpointId);
      if (queue) queue.push(delivery);
      else byEndpoint.set(delivery.endpointId, [delivery]);
    }
    const now = this.clock.now();
    const candidates = await this.claims.handoffCandidates(manager, [...byEndpoint.keys()], now, {
      leasePrefix: this.nextLeaseToken.prefix,
      inFlight: this.requests,
    });
    if (this.stopping) return null;
    const leaseToken = this.nextLeaseToken();
    // From when the lock was granted: a wait for it does not shorten the lease.
    const leaseExpiresAt = new Date(this.clock.now().getTime() + this.attempter.leaseMs);
    const eventsById = new Map(events.map((event) => [event.id, event]));
    const taken: ClaimedDelivery[] = [];
    for (const { endpoint, inFlight, backlog } of candidates) {
      if (endpoint.status !== 'enabled' || endpoint.deletedAt !== null || backlog || !mayHandOff(endpoint))
        continue;
      const count = Math.min(
        byEndpoint.get(endpoint.id)!.length,
        allowedInFlight(endpoint) - inFlight,
        this.roomLeft(),
      );
      if (count <= 0) continue;
      this.holdSlots(endpoint.id, count);
      this.handedOff += count;
      for (const delivery of byEndpoint.get(endpoint.id)!.slice(0, count)) {
        delivery.leaseOwner = leaseToken;
        delivery.leaseExpiresAt = leaseExpiresAt;
        taken.push({ delivery, endpoint, event: eventsById.get(delivery.eventId) ?? null });
      }
    }
    if (taken.length === 0) return null;
    let settled = false;
    const settle = () => {
      if (settled) return false;
      settled = true;
      this.handedOff -= taken.length;
      return true;
    };
    return {
      taken: taken.length,
      start: () => {
        if (!settle()) return;
        for (const claimed of taken) this.start(claimed, leaseToken, { slotHeld: true });
      },
      abandon: () => {
        if (!settle()) return;
        for (const { delivery } of taken) this.freeSlots(delivery.endpointId, 1);
        // A COMMIT whose answer was lost may have committed them leased to us: give the leases
        // back, so a claim takes them now rather than when they expire (a no-op if nothing committed).
        void this.claims
          .releaseLeases(
            taken.map((claimed) => claimed.delivery.id),
            leaseToken,
          )
          .catch((error: Error) =>
            this.logRecurringError('giving back the leases of a failed publish', error),
          )
          .finally(() => this.wake());
      },
    };
  }

  private start(
    { delivery, endpoint, event }: ClaimedDelivery,
    leaseToken: string,
    { slotHeld: alreadyHeld = false } = {},
  ): void {
    const endpointId = delivery.endpointId;
    if (!alreadyHeld) this.holdSlots(endpointId, 1);
    let slotHeld = true;
    const freeSlot = () => {
      if (!slotHeld) return;
      slotHeld = false;
      this.freeSlots(endpointId, 1);
    };
    const run = this.attempter
      .attemptLeased(
        delivery,
        leaseToken,
        { trigger: 'scheduled', retryOnFailure: true },
        {
          preloaded: { endpoint, event },
          onResponse: (succeeded) => {
            if (!succeeded) return;
            freeSlot();
            this.wakeIfRoomHelps();
          },
        },
      )
      .then((recorded) => {
        const next = recorded?.delivery.nextAttemptAt;
        if (next) this.wakeAt(next);
      })
      .catch((error: Error) => {
        // The lease expires and another round retries it: at-least-once, never lost.
        this.logger.error(`attempt of ${delivery.id} failed to complete: ${error.message}`);
      })
      .finally(() => {
        freeSlot();
        this.inFlight.delete(delivery.id);
        this.wakeIfRoomHelps();
      });
    this.inFlight.set(delivery.id, run);
  }

  private async probeDue(): Promise<void> {
    if (this.probing || this.stopping) return;
    this.probing = true;
    try {
      const now = this.clock.now().getTime();
      const due = await this.claims.recentlyDue(
        new Date(now - DUE_PROBE_LOOKBACK_MS),
        new Date(now),
        DUE_PROBE_LIMIT,
      );
      // A delivery seen at S was due by S, so it has left the look-back by S + DUE_PROBE_LOOKBACK_MS.
      for (const [key, seenAt] of this.probed)
        if (seenAt <= now - DUE_PROBE_LOOKBACK_MS) this.probed.delete(key);
      let unseen = false;
      for (const key of due) {
        if (this.probed.has(key)) continue;
        this.probed.set(key, now);
        unseen = true;
      }
      if (unseen) this.wake();
    } catch (error) {
      // The poll still finds what the probe missed.
      this.logRecurringError('looking for due deliveries', error);
    } finally {
      this.probing = false;
    }
  }

  /** A failure that repeats on every round while the database is unreachable: logged every 10 s at most. */
  private logRecurringError(what: string, error: unknown): void {
    const now = Date.now();
    if (now - (this.errorLoggedAt.get(what) ?? 0) <= 10_000) return;
    this.errorLoggedAt.set(what, now);
    this.logger.error(`${what} failed: ${(error as Error).message}`);
  }

  /** A retry this process scheduled, or a rate limit lifting: be awake for it, not up to a poll late. */
  private wakeAt(at: Date): void {
    const when = at.getTime();
    const delay = when - this.clock.now().getTime();
    if (this.stopping) return;
    if (this.retryTimer && this.retryTimer.at <= when) return;
    if (this.retryTimer) clearTimeout(this.retryTimer.timer);
    this.retryTimer = {
      at: when,
      timer: setTimeout(() => {
        this.retryTimer = undefined;
        this.wake();
      }, Math.max(0, delay) + 2),
    };
  }

  /** The disable rule for endpoints that are not being attempted (an attempt's record applies it too). */
  @Interval('dispatch-disable-sweep', DISABLE_SWEEP_INTERVAL_MS)
  async sweepFailingEndpoints(): Promise<void> {
    if (this.stopping) return;
    try {
      const disabled = await this.recorder.disableFailingEndpoints(this.clock.now());
      for (const id of disabled) this.logger.warn(`endpoint ${id} disabled (failing)`);
    } catch (error) {
      this.logger.error(`disable sweep failed: ${(error as Error).message}`);
    }
  }

  /** SIGTERM: stop claiming, let in-flight attempts finish (bounded), then let the app close. */
  async beforeApplicationShutdown(): Promise<void> {
    this.stopping = true;
    this.unsubscribe?.();
    this.unregisterHandoff?.();
    this.setPollInterval(null);
    this.setDueProbeInterval(null);
    if (this.retryTimer) clearTimeout(this.retryTimer.timer);
    const deadline = this.config.requestTimeoutMs + DRAIN_MARGIN_MS;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      (async () => {
        // A claim round may still be adding work; wait until it is done, then for every attempt.
        while (this.claiming || this.handedOff > 0 || this.inFlight.size > 0) {
          if (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight.values()]);
          else await new Promise((resolve) => setTimeout(resolve, 10));
        }
      })(),
      new Promise((resolve) => {
        timer = setTimeout(resolve, deadline);
      }),
    ]);
    clearTimeout(timer);
    if (this.inFlight.size > 0) {
      this.logger.warn(
        `${this.inFlight.size} attempt(s) still running at shutdown; their leases will expire`,
      );
    }
  }
}

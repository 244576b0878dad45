import { Injectable } from '@nestjs/common';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { DataSource, In, IsNull, LessThanOrEqual, MoreThan, MoreThanOrEqual, Not } from 'typeorm';
import { Delivery } from '../deliveries/delivery.entity';
import { CIRCUIT_OPEN_AFTER_FAILURES } from '../dispatch/endpoint-health';
import { Endpoint } from '../endpoints/endpoint.entity';

/** How long one scrape's database snapshot is reused by the gauges of that scrape. */
const SNAPSHOT_TTL_MS = 500;

interface QueueSnapshot {
  due: Record<'pending' | 'retrying', number>;
  scheduled: Record<'pending' | 'retrying', number>;
  inFlight: number;
  oldestDueAgeSeconds: number;
  disabled: Record<string, number>;
  circuitOpen: number;
}

/**
 * Prometheus metrics of delivery, on a registry of this app instance (two apps in one process, as in
 * tests, never share counters). Counters and the latency histogram are fed by the attempter; the queue
 * gauges are computed by a few cheap indexed queries at scrape time, so every role reports the same.
 */
@Injectable()
export class DeliveryMetrics {
  readonly registry = new Registry();
  private readonly attempts: Counter<'result' | 'error_code' | 'trigger'>;
  private readonly outcomes: Counter<'outcome'>;
  private readonly latency: Histogram<'result'>;
  private snapshot: { at: number; value: Promise<QueueSnapshot> } | null = null;

  constructor(private readonly dataSource: DataSource) {
    const registers = [this.registry];
    this.attempts = new Counter({
      name: 'acme_webhooks_attempts_total',
      help: 'HTTP attempts made, by result (success|failure), error code and trigger (scheduled|manual|test).',
      labelNames: ['result', 'error_code', 'trigger'],
      registers,
    });
    this.outcomes = new Counter({
      name: 'acme_webhooks_deliveries_total',
      help: 'Delivery state changes after an attempt, by outcome (succeeded|retrying|dead).',
      labelNames: ['outcome'],
      registers,
    });
    this.latency = new Histogram({
      name: 'acme_webhooks_attempt_duration_seconds',
      help: 'Duration of delivery attempts (connect + full response), by result.',
      labelNames: ['result'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15, 30],
      registers,
    });
    const gauge = (
      name: string,
      help: string,
      labelNames: string[],
      set: (g: Gauge, s: QueueSnapshot) => void,
    ) =>
      new Gauge({
        name,
        help,
        labelNames,
        registers,
        collect: async function (this: Gauge) {
          set(this, await metrics.queueSnapshot());
        },
      });
    const metrics = this;
    gauge(
      'acme_webhooks_queue_depth',
      'Open deliveries by status and whether they are due now or scheduled for later.',
      ['status', 'state'],
      (g, s) => {
        for (const status of ['pending', 'retrying'] as const) {
          g.set({ status, state: 'due' }, s.due[status]);
          g.set({ status, state: 'scheduled' }, s.scheduled[status]);
        }
      },
    );
    gauge('acme_webhooks_in_flight', 'Deliveries leased by a worker right now (all workers).', [], (g, s) =>
      g.set(s.inFlight),
    );
    gauge(
      'acme_webhooks_oldest_due_delivery_age_seconds',
      'How long the longest-waiting due delivery has been due (0 when none is).',
      [],
      (g, s) => g.set(s.oldestDueAgeSeconds),
    );
    gauge(
      'acme_webhooks_endpoints_disabled',
      'Disabled endpoints by reason (manual|gone|failing).',
      ['reason'],
      (g, s) => {
        g.reset();
        for (const reason of ['manual', 'gone', 'failing']) g.set({ reason }, s.disabled[reason] ?? 0);
      },
    );
    gauge(
      'acme_webhooks_endpoints_circuit_open',
      'Enabled endpoints whose circuit is open (deliveries held behind one probe).',
      [],
      (g, s) => g.set(s.circuitOpen),
    );
  }

  observeAttempt(input: {
    succeeded: boolean;
    errorCode: string | null;
    trigger: string;
    durationMs: number;
    outcome: string;
  }): void {
    const result = input.succeeded ? 'success' : 'failure';
    this.attempts.inc({ result, error_code: input.errorCode ?? 'none', trigger: input.trigger });
    this.outcomes.inc({ outcome: input.outcome });
    this.latency.observe({ result }, input.durationMs / 1000);
  }

  async render(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  private queueSnapshot(): Promise<QueueSnapshot> {
    const nowMs = Date.now();
    if (this.snapshot && nowMs - this.snapshot.at < SNAPSHOT_TTL_MS) return this.snapshot.value;
    const value = this.readQueue(new Date(nowMs));
    this.snapshot = { at: nowMs, value };
    value.catch(() => {
      this.snapshot = null;
    });
    return value;
  }

  private async readQueue(now: Date): Promise<QueueSnapshot> {
    const deliveries = this.dataSource.getRepository(Delivery);
    const endpoints = this.dataSource.getRepository(Endpoint);
    const open = ['pending', 'retrying'] as const;
    const counts = await Promise.all(
      open.flatMap((status) => [
        deliveries.countBy({ status, nextAttemptAt: LessThanOrEqual(now) }),
        deliveries.countBy({ status, nextAttemptAt: MoreThan(now) }),
      ]),
    );
    const inFlight = await deliveries.countBy({ status: In([...open]), leaseExpiresAt: MoreThan(now) });
    const oldest = await deliveries
      .createQueryBuilder('d')
      .select('MIN(d.nextAttemptAt)', 'oldest')
      .where({ status: In([...open]), nextAttemptAt: LessThanOrEqual(now) })
      .getRawOne<{ oldest: string | Date | null }>();
    const disabledRows = await endpoints
      .createQueryBuilder('e')
      .select('e.disabledReason', 'reason')
      .addSelect('COUNT(*)', 'n')
      .where({ status: 'disabled', deletedAt: IsNull() })
      .groupBy('e.disabledReason')
      .getRawMany<{ reason: string | null; n: string | number }>();
    const circuitOpen = await endpoints.countBy({
      status: 'enabled',
      deletedAt: IsNull(),
      consecutiveFailures: MoreThanOrEqual(CIRCUIT_OPEN_AFTER_FAILURES),
      failingSince: Not(IsNull()),
    });
    const oldestAt = oldest?.oldest ? parseStoredDate(oldest.oldest) : null;
    return {
      due: { pending: counts[0]!, retrying: counts[2]! },
      scheduled: { pending: counts[1]!, retrying: counts[3]! },
      inFlight,
      oldestDueAgeSeconds: oldestAt ? Math.max(0, (now.getTime() - oldestAt.getTime()) / 1000) : 0,
      disabled: Object.fromEntries(disabledRows.map((row) => [row.reason ?? 'manual', Number(row.n)])),
      circuitOpen,
    };
  }
}

/** A raw datetime as the driver returns it: a Date (mysql2) or `YYYY-MM-DD HH:MM:SS.SSS` UTC text (SQLite). */
function parseStoredDate(value: string | Date): Date {
  if (value instanceof Date) return value;
  return new Date(`${value.replace(' ', 'T')}${/Z|[+-]\d\d:?\d\d$/.test(value) ? '' : 'Z'}`);
}

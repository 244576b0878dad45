import { Injectable } from '@nestjs/common';
import { DataSource, SelectQueryBuilder } from 'typeorm';
import { Caller } from '../auth/caller';
import { Clock } from '../common/clock';
import { Attempt } from '../deliveries/attempt.entity';
import { Delivery } from '../deliveries/delivery.entity';
import { EndpointsRepository } from '../endpoints/endpoints.repository';
import { EndpointStatsDto, STATS_WINDOWS, StatsQuery } from './inspection.dto';

const PERCENTILES = [50, 95, 99] as const;

/** Index (0-based) of the nearest-rank percentile `p` among `n` sorted values. */
export function nearestRank(p: number, n: number): number {
  return Math.max(0, Math.ceil((p / 100) * n) - 1);
}

/**
 * `GET /webhook-endpoints/{id}/stats`. Test deliveries are left out of every number: like the
 * failure streak, the stats describe real traffic, and a human poking at a broken endpoint with
 * tests should not move them. Percentiles take one indexed row each (ORDER BY … OFFSET k), so they
 * are exact and portable without fetching the window's durations.
 */
@Injectable()
export class EndpointStatsService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly endpoints: EndpointsRepository,
    private readonly clock: Clock,
  ) {}

  async stats(caller: Caller, id: string, query: StatsQuery): Promise<EndpointStatsDto> {
    const endpoint = await this.endpoints.visible(caller, id);
    const window = query.window ?? '24h';
    const from = new Date(this.clock.now().getTime() - STATS_WINDOWS[window]);

    const attemptsInWindow = (): SelectQueryBuilder<Attempt> =>
      this.dataSource.manager
        .createQueryBuilder(Attempt, 'a')
        .innerJoin(Delivery, 'd', 'd.id = a.deliveryId')
        .where('a.endpointId = :endpointId', { endpointId: endpoint.id })
        .andWhere('a.startedAt >= :from', { from })
        .andWhere("d.trigger <> 'test'");
    const totals = await attemptsInWindow()
      .select('COUNT(*)', 'attempts')
      .addSelect(
        'SUM(CASE WHEN a.errorCode IS NULL AND a.responseStatus >= 200 AND a.responseStatus < 300 THEN 1 ELSE 0 END)',
        'succeeded',
      )
      .getRawOne<{ attempts: string | number; succeeded: string | number | null }>();
    const attempts = Number(totals?.attempts ?? 0);
    const succeeded = Number(totals?.succeeded ?? 0);

    const latency: Record<`p${(typeof PERCENTILES)[number]}`, number | null> = {
      p50: null,
      p95: null,
      p99: null,
    };
    for (const p of PERCENTILES) {
      if (attempts === 0) break;
      const row = await attemptsInWindow()
        .select('a.durationMs', 'duration')
        .orderBy('a.durationMs', 'ASC')
        .offset(nearestRank(p, attempts))
        .limit(1)
        .getRawOne<{ duration: string | number }>();
      latency[`p${p}`] = row ? Number(row.duration) : null;
    }

    const deliveriesIn = (statuses: string[]) =>
      this.dataSource.manager
        .createQueryBuilder(Delivery, 'd')
        .where('d.endpointId = :endpointId', { endpointId: endpoint.id })
        .andWhere('d.status IN (:...statuses)', { statuses })
        .andWhere("d.trigger <> 'test'")
        .getCount();
    const [pending, dead] = await Promise.all([
      deliveriesIn(['pending', 'retrying']),
      deliveriesIn(['dead']),
    ]);

    return {
      window,
      attempts,
      succeeded,
      failed: attempts - succeeded,
      success_rate: attempts === 0 ? null : Math.round((succeeded / attempts) * 10_000) / 10_000,
      latency_ms: latency,
      pending,
      dead,
      consecutive_failures: endpoint.consecutiveFailures,
      failing_since: endpoint.failingSince?.toISOString() ?? null,
    };
  }
}

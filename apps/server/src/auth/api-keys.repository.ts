import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { IsNull, LessThan, Repository } from 'typeorm';
import { ApiKey } from './api-key.entity';

/** How often `last_used_at` is written for one key at most. */
const LAST_USED_RESOLUTION_MS = 60_000;

@Injectable()
export class ApiKeysRepository {
  constructor(@InjectRepository(ApiKey) private readonly keys: Repository<ApiKey>) {}

  findActiveByHash(keyHash: string): Promise<ApiKey | null> {
    return this.keys.findOneBy({ keyHash, revokedAt: IsNull() });
  }

  /** Stamps last use, unless it was stamped less than a minute ago (a cheap conditional update). */
  async touch(key: ApiKey, now: Date): Promise<void> {
    if (key.lastUsedAt && now.getTime() - key.lastUsedAt.getTime() < LAST_USED_RESOLUTION_MS) return;
    const staleBefore = new Date(now.getTime() - LAST_USED_RESOLUTION_MS);
    await this.keys
      .createQueryBuilder()
      .update()
      .set({ lastUsedAt: now })
      .where('id = :id', { id: key.id })
      .andWhere('(last_used_at IS NULL OR last_used_at < :staleBefore)', { staleBefore })
      .execute();
  }

  insert(key: ApiKey): Promise<unknown> {
    return this.keys.insert(key);
  }

  /** Active keys, newest first, `limit + 1` rows from below `beforeId`. */
  listActive(filter: { tenantId?: string; beforeId?: string; limit: number }): Promise<ApiKey[]> {
    return this.keys.find({
      where: {
        revokedAt: IsNull(),
        ...(filter.tenantId !== undefined ? { tenantId: filter.tenantId } : {}),
        ...(filter.beforeId !== undefined ? { id: LessThan(filter.beforeId) } : {}),
      },
      order: { id: 'DESC' },
      take: filter.limit + 1,
    });
  }

  findActive(id: string): Promise<ApiKey | null> {
    return this.keys.findOneBy({ id, revokedAt: IsNull() });
  }

  async revoke(id: string, now: Date): Promise<void> {
    await this.keys.update({ id }, { revokedAt: now });
  }
}

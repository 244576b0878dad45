import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { EntityManager, IsNull, LessThan, Repository } from 'typeorm';
import { runInTransaction } from '../database/transactions';
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
    await this.write((manager) =>
      manager
        .createQueryBuilder()
        .update(ApiKey)
        .set({ lastUsedAt: now })
        .where('id = :id', { id: key.id })
        .andWhere('(last_used_at IS NULL OR last_used_at < :staleBefore)', { staleBefore })
        .execute(),
    );
  }

  async insert(key: ApiKey): Promise<void> {
    await this.write((manager) => manager.insert(ApiKey, key));
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
    await this.write((manager) => manager.update(ApiKey, { id }, { revokedAt: now }));
  }

  // Even single statements go through runInTransaction: on SQLite's one connection a bare write
  // would otherwise land inside whatever transaction another request has open.
  private write<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return runInTransaction(this.keys.manager.dataSource, work);
  }
}

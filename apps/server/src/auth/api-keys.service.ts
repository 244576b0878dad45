import { Injectable } from '@nestjs/common';
import { Clock } from '../common/clock';
import { Page, toPage } from '../common/cursor';
import { isId, newId } from '../common/ids';
import { pageOf } from '../common/list-query.dto';
import { ApiProblem } from '../common/problem';
import { ApiKeyDto, CreateApiKeyDto, CreatedApiKeyDto, ListApiKeysQuery } from './api-key.dto';
import { ApiKey } from './api-key.entity';
import { ApiKeysRepository } from './api-keys.repository';
import { generateApiKey, hashApiKey } from './key-hash';

/** Tenant API keys (admin only): issued once, stored hashed, revoked on delete. */
@Injectable()
export class ApiKeysService {
  constructor(
    private readonly keys: ApiKeysRepository,
    private readonly clock: Clock,
  ) {}

  async create(input: CreateApiKeyDto): Promise<CreatedApiKeyDto> {
    const key = generateApiKey();
    const row: ApiKey = {
      id: newId('key'),
      tenantId: input.tenant_id,
      name: input.name,
      keyHash: hashApiKey(key),
      lastUsedAt: null,
      revokedAt: null,
      createdAt: this.clock.now(),
    };
    await this.keys.insert(row);
    return { id: row.id, key };
  }

  async list(query: ListApiKeysQuery): Promise<Page<ApiKeyDto>> {
    const { limit, beforeId } = pageOf(query, 'key');
    const rows = await this.keys.listActive({ tenantId: query.tenant_id, beforeId, limit });
    return toPage(rows, limit, presentApiKey);
  }

  async revoke(id: string): Promise<void> {
    const key = isId(id, 'key') ? await this.keys.findActive(id) : null;
    if (!key) throw ApiProblem.notFound('API key', id);
    await this.keys.revoke(id, this.clock.now());
  }
}

export function presentApiKey(key: ApiKey): ApiKeyDto {
  return {
    id: key.id,
    tenant_id: key.tenantId,
    name: key.name,
    last_used_at: key.lastUsedAt?.toISOString() ?? null,
    created_at: key.createdAt.toISOString(),
  };
}

import { Injectable } from '@nestjs/common';
import { Caller } from '../auth/caller';
import { Clock } from '../common/clock';
import { Page, toPage } from '../common/cursor';
import { newId } from '../common/ids';
import { pageOf } from '../common/list-query.dto';
import { ApiProblem } from '../common/problem';
import { Transactions } from '../database/transactions';
import { DeliveriesRepository } from '../deliveries/deliveries.repository';
import {
  CreatedEndpointDto,
  CreateEndpointDto,
  DEFAULT_MAX_CONCURRENCY,
  DEFAULT_ROTATION_GRACE_SECONDS,
  EndpointDto,
  EndpointSecretDto,
  ListEndpointsQuery,
  RotateSecretDto,
  UpdateEndpointDto,
} from './endpoint.dto';
import { Endpoint } from './endpoint.entity';
import { presentEndpoint } from './endpoint.presenter';
import { EndpointSecrets } from './endpoint-secrets';
import { EndpointUrlCheck } from './endpoint-url-check';
import { EndpointsRepository } from './endpoints.repository';

/** Registering and managing webhook endpoints within the caller's tenant. */
@Injectable()
export class EndpointsService {
  constructor(
    private readonly endpoints: EndpointsRepository,
    private readonly deliveries: DeliveriesRepository,
    private readonly secrets: EndpointSecrets,
    private readonly urlCheck: EndpointUrlCheck,
    private readonly transactions: Transactions,
    private readonly clock: Clock,
  ) {}

  async create(caller: Caller, input: CreateEndpointDto): Promise<CreatedEndpointDto> {
    const tenantId = caller.tenantForWrite(input.tenant_id);
    await this.checkUrl(input.url);
    const secret = this.secrets.generate();
    const sealed = this.secrets.seal(secret);
    const now = this.clock.now();
    const endpoint: Endpoint = {
      id: newId('wh'),
      tenantId,
      url: input.url,
      events: input.events,
      description: input.description ?? null,
      status: 'enabled',
      disabledReason: null,
      disabledAt: null,
      headers: input.headers ?? {},
      metadata: input.metadata ?? {},
      maxConcurrency: input.max_concurrency ?? DEFAULT_MAX_CONCURRENCY,
      rateLimitPerSecond: input.rate_limit_per_second ?? null,
      secretKeyId: sealed.keyId,
      secretCiphertext: sealed.ciphertext,
      previousSecretCiphertext: null,
      previousSecretExpiresAt: null,
      consecutiveFailures: 0,
      failingSince: null,
      deletedAt: null,
      createdAt: now,
      updatedAt: now,
    };
    await this.transactions.run((manager) => this.endpoints.insert(manager, endpoint));
    return { ...presentEndpoint(endpoint), secret };
  }

  async list(caller: Caller, query: ListEndpointsQuery): Promise<Page<EndpointDto>> {
    const { limit, beforeId } = pageOf(query, 'wh');
    const rows = await this.endpoints.listLive(
      { tenantId: caller.tenantForFilter(query.tenant_id) },
      { beforeId, limit },
    );
    return toPage(rows, limit, presentEndpoint);
  }

  async get(caller: Caller, id: string): Promise<EndpointDto> {
    return presentEndpoint(await this.endpoints.visible(caller, id));
  }

  async update(caller: Caller, id: string, input: UpdateEndpointDto): Promise<EndpointDto> {
    // The URL policy (a DNS lookup) is checked first, never while the endpoint's row is locked.
    if (input.url !== undefined) await this.checkUrl(input.url);
    const now = this.clock.now();
    const changes: Partial<Endpoint> = { updatedAt: now };
    if (input.url !== undefined) changes.url = input.url;
    if (input.events !== undefined) changes.events = input.events;
    if (input.description !== undefined) changes.description = input.description;
    if (input.headers !== undefined) changes.headers = input.headers;
    if (input.metadata !== undefined) changes.metadata = input.metadata;
    if (input.max_concurrency !== undefined) changes.maxConcurrency = input.max_concurrency;
    if (input.rate_limit_per_second !== undefined) changes.rateLimitPerSecond = input.rate_limit_per_second;
    // The status change is decided on the row as locked: an automatic disable (`failing`, `gone`)
    // committed meanwhile keeps its reason and time instead of being relabelled `manual`.
    const updated = await this.transactions.run(async (manager) => {
      const current = await this.endpoints.lockVisible(manager, caller, id);
      if (input.tenant_id !== undefined) {
        caller.tenantForFilter(input.tenant_id);
        if (input.tenant_id !== current.tenantId) {
          throw ApiProblem.invalidField(
            'tenant_id',
            'cannot be changed; create the endpoint in the other tenant',
          );
        }
      }
      const disabling = input.status === 'disabled' && current.status !== 'disabled';
      if (disabling)
        Object.assign(changes, { status: 'disabled', disabledReason: 'manual', disabledAt: now });
      if (input.status === 'enabled' && current.status !== 'enabled') {
        // A fresh start: the old failure streak no longer counts towards auto-disable.
        Object.assign(changes, {
          status: 'enabled',
          disabledReason: null,
          disabledAt: null,
          consecutiveFailures: 0,
          failingSince: null,
        });
      }
      // A PATCH that changes nothing (no fields, or the values the endpoint has) writes nothing,
      // so `updated_at` keeps meaning "last changed".
      if (!changesAnything(current, changes)) return current;
      await this.endpoints.update(manager, current.id, changes);
      // §4: a disabled endpoint's pending and retrying deliveries go dead (replay recovers them).
      if (disabling) await this.deliveries.settleOpenForEndpoint(manager, current.id, 'dead', now);
      return { ...current, ...changes };
    });
    return presentEndpoint(updated);
  }

  async delete(caller: Caller, id: string): Promise<void> {
    const endpoint = await this.endpoints.visible(caller, id);
    const now = this.clock.now();
    await this.transactions.run(async (manager) => {
      await this.endpoints.update(manager, endpoint.id, { deletedAt: now, updatedAt: now });
      await this.deliveries.settleOpenForEndpoint(manager, endpoint.id, 'cancelled', now);
    });
  }

  async secret(caller: Caller, id: string): Promise<EndpointSecretDto> {
    return { secret: this.secrets.current(await this.endpoints.visible(caller, id)) };
  }

  async rotateSecret(caller: Caller, id: string, input: RotateSecretDto): Promise<EndpointSecretDto> {
    const graceSeconds = input.grace_period_seconds ?? DEFAULT_ROTATION_GRACE_SECONDS;
    const now = this.clock.now();
    const secret = this.secrets.generate();
    const sealed = this.secrets.seal(secret);
    await this.transactions.run(async (manager) => {
      // The outgoing secret is read under the row lock: two rotations at once then chain (A→B→C)
      // instead of both replacing A, which would leave one caller holding a secret that never signs.
      const current = await this.endpoints.lockVisible(manager, caller, id);
      // Re-seal the outgoing secret too, so both are under the current encryption key.
      const previous = graceSeconds > 0 ? this.secrets.seal(this.secrets.current(current)) : null;
      await this.endpoints.update(manager, current.id, {
        secretKeyId: sealed.keyId,
        secretCiphertext: sealed.ciphertext,
        previousSecretCiphertext: previous?.ciphertext ?? null,
        previousSecretExpiresAt: previous ? new Date(now.getTime() + graceSeconds * 1000) : null,
        updatedAt: now,
      });
    });
    return { secret };
  }

  private async checkUrl(url: string): Promise<void> {
    const problem = await this.urlCheck.problem(url);
    if (problem) throw ApiProblem.invalidField('url', problem);
  }
}

/** True when `changes` sets some column other than `updatedAt` to a value `current` does not have. */
function changesAnything(current: Endpoint, changes: Partial<Endpoint>): boolean {
  return Object.entries(changes).some(
    ([key, value]) =>
      key !== 'updatedAt' && JSON.stringify(current[key as keyof Endpoint]) !== JSON.stringify(value),
  );
}

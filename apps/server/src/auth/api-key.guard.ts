import { CanActivate, ExecutionContext, Inject, Injectable, Logger } from '@nestjs/common';
import { HttpAdapterHost, Reflector } from '@nestjs/core';
import { Clock } from '../common/clock';
import { ApiProblem } from '../common/problem';
import type { AppConfig } from '../config/config';
import { APP_CONFIG } from '../config/config.module';
import { ApiKeysRepository } from './api-keys.repository';
import { ApiRateLimiter } from './api-rate-limit';
import { ADMIN_ONLY, PUBLIC_ROUTE } from './auth.decorators';
import { Caller } from './caller';
import { bearerToken, hashApiKey, sameKey } from './key-hash';

/**
 * Every route needs `Authorization: Bearer <key>` unless marked @Public(); sets `request.caller`.
 * Each key has its own request budget (WEBHOOKS_API_RATE_LIMIT): over it, a 429 with Retry-After.
 */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  private readonly logger = new Logger(ApiKeyGuard.name);

  constructor(
    private readonly reflector: Reflector,
    private readonly keys: ApiKeysRepository,
    private readonly clock: Clock,
    private readonly rateLimiter: ApiRateLimiter,
    private readonly adapterHost: HttpAdapterHost,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_ROUTE, targets)) return true;
    const http = context.switchToHttp();
    const request = http.getRequest<{ headers: Record<string, string>; caller?: Caller }>();
    const caller = await this.identify(bearerToken(request.headers.authorization));
    if (!caller) {
      throw new ApiProblem(401, 'Send a valid API key as `Authorization: Bearer <key>`.');
    }
    const waitSeconds = this.rateLimiter.take(caller.keyId ?? 'admin', this.clock.now().getTime());
    if (waitSeconds > 0) {
      this.adapterHost.httpAdapter.setHeader(http.getResponse(), 'Retry-After', String(waitSeconds));
      throw new ApiProblem(429, `Too many requests with this API key; retry in ${waitSeconds} s.`);
    }
    if (!caller.isAdmin && this.reflector.getAllAndOverride<boolean>(ADMIN_ONLY, targets)) {
      throw ApiProblem.forbidden('Only the admin API key may do this.');
    }
    request.caller = caller;
    return true;
  }

  private async identify(token: string | null): Promise<Caller | null> {
    if (!token) return null;
    if (this.config.apiKey && sameKey(token, this.config.apiKey)) return Caller.admin();
    const key = await this.keys.findActiveByHash(hashApiKey(token));
    if (!key) return null;
    this.keys.touch(key, this.clock.now()).catch((error: Error) => {
      this.logger.warn(`could not record the use of API key ${key.id}: ${error.message}`);
    });
    return Caller.tenant(key.tenantId, key.id);
  }
}

import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import { ApiProblem } from '../common/problem';

export const DEFAULT_TENANT = 'default';

/**
 * Who is calling, and so which tenants they may touch. The admin key sees every tenant; a tenant
 * key only its own: naming another tenant is a 403, another tenant's resource id a 404.
 */
export class Caller {
  private constructor(
    /** The caller's tenant, or undefined for the admin key. */
    readonly tenantId: string | undefined,
    /** The tenant API key's id, or undefined for the admin key. */
    readonly keyId: string | undefined,
  ) {}

  static admin(): Caller {
    return new Caller(undefined, undefined);
  }

  static tenant(tenantId: string, keyId: string): Caller {
    return new Caller(tenantId, keyId);
  }

  get isAdmin(): boolean {
    return this.tenantId === undefined;
  }

  /** The tenant a new resource belongs to: the key's own, or the one the admin names (default `default`). */
  tenantForWrite(requested: string | undefined, field = 'tenant_id'): string {
    return this.tenantForFilter(requested, field) ?? DEFAULT_TENANT;
  }

  /** The tenant a list is restricted to; undefined means every tenant (admin only). */
  tenantForFilter(requested: string | undefined, field = 'tenant_id'): string | undefined {
    if (this.tenantId === undefined) return requested;
    if (requested !== undefined && requested !== this.tenantId) {
      throw ApiProblem.forbidden(`This API key belongs to tenant ${this.tenantId}.`, field);
    }
    return this.tenantId;
  }

  /** Whether a resource of `tenantId` is visible (an invisible one is reported as not found). */
  canSee(tenantId: string): boolean {
    return this.tenantId === undefined || this.tenantId === tenantId;
  }
}

/** The request's Caller, set by ApiKeyGuard. */
export const CurrentCaller = createParamDecorator((_data: unknown, context: ExecutionContext): Caller => {
  const caller = context.switchToHttp().getRequest<{ caller?: Caller }>().caller;
  if (!caller) throw new Error('CurrentCaller used on a public route');
  return caller;
});

import { createHash } from 'node:crypto';

/** The body of every delivery of an event, serialized once at publish and stored verbatim. */
export function serializePayload(event: {
  id: string;
  type: string;
  createdAt: Date;
  data: unknown;
}): string {
  return JSON.stringify({
    id: event.id,
    type: event.type,
    created_at: event.createdAt.toISOString(),
    data: event.data,
  });
}

/** JSON with object keys sorted, so two equal bodies hash the same whatever their key order. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, entry]) => entry !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, entry]) => `${JSON.stringify(key)}:${canonicalJson(entry)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** Fingerprint of a publish request, to tell an idempotent retry from a different request. */
export function publishRequestHash(request: { tenantId: string; type: string; data: unknown }): string {
  return createHash('sha256')
    .update(canonicalJson({ tenant_id: request.tenantId, type: request.type, data: request.data }))
    .digest('hex');
}

/** Valid `Idempotency-Key`: 1–255 visible ASCII characters. */
export const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;

/** How long an idempotency key is remembered. */
export const IDEMPOTENCY_WINDOW_MS = 24 * 60 * 60 * 1000;

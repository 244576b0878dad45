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

/** How deeply event `data` may nest (the object itself is level 1). Deeper JSON is refused with a 400
 *  rather than left to overflow the stack of whatever serializes it later. */
export const MAX_EVENT_DATA_DEPTH = 32;

/** Nesting depth of a JSON value, counting only up to `limit + 1` (so it stays cheap and shallow). */
function depthOf(value: unknown, limit: number): number {
  if (value === null || typeof value !== 'object') return 0;
  if (limit < 0) return 1;
  let deepest = 0;
  for (const entry of Object.values(value as Record<string, unknown>)) {
    deepest = Math.max(deepest, depthOf(entry, limit - 1));
    if (deepest > limit) break;
  }
  return 1 + deepest;
}

/** Why event `data` is unacceptable, or null (its type is checked separately). */
export function eventDataProblem(value: unknown): string | null {
  return depthOf(value, MAX_EVENT_DATA_DEPTH) > MAX_EVENT_DATA_DEPTH
    ? `must not nest deeper than ${MAX_EVENT_DATA_DEPTH} levels`
    : null;
}

/** Valid `Idempotency-Key`: 1–255 visible ASCII characters. */
export const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;

/** How long an idempotency key is remembered. */
export const IDEMPOTENCY_WINDOW_MS = 24 * 60 * 60 * 1000;

/** The longest wait a `Retry-After` answer can impose (§4). */
export const MAX_RETRY_AFTER_MS = 24 * 60 * 60 * 1000;

/**
 * How long a `Retry-After` value asks to wait, in milliseconds from `now`: delta-seconds (`120`) or an
 * HTTP date. Capped at 24 h; a date in the past means 0. Null for a missing or unreadable value, which
 * is then ignored.
 */
export function parseRetryAfter(
  value: string | readonly string[] | undefined | null,
  now: Date,
): number | null {
  const text = (Array.isArray(value) ? value[0] : value)?.trim();
  if (!text) return null;
  let waitMs: number;
  if (/^\d+$/.test(text)) {
    waitMs = Number(text) * 1000;
  } else {
    // Only date-looking values: Date.parse accepts odd things like "1" or "soon 5".
    if (!/^[A-Za-z]{3,9},? /.test(text) && !/\d{4}-\d{2}-\d{2}T/.test(text)) return null;
    const at = Date.parse(text);
    if (Number.isNaN(at)) return null;
    waitMs = at - now.getTime();
  }
  if (!Number.isFinite(waitMs)) return MAX_RETRY_AFTER_MS;
  return Math.min(Math.max(0, waitMs), MAX_RETRY_AFTER_MS);
}

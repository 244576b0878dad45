import { parseDuration } from '../common/duration';

/** Delays before retry 1, 2, … in milliseconds; empty means a failed first attempt is final. */
export type RetrySchedule = readonly number[];

export const DEFAULT_RETRY_SCHEDULE_TEXT = '5s,1m,5m,30m,2h,6h,12h,24h,24h';

/** Each retry waits its scheduled delay ±20 %, so a burst of failures does not retry in lockstep. */
export const RETRY_JITTER = 0.2;

/** Parses `WEBHOOKS_RETRY_SCHEDULE`: comma-separated durations, or `none`. Throws with the bad entry named. */
export function parseRetrySchedule(text: string): RetrySchedule {
  const trimmed = text.trim();
  if (trimmed.toLowerCase() === 'none') return [];
  const delays = trimmed.split(',').map((entry) => {
    const ms = parseDuration(entry);
    if (ms === null || ms <= 0) {
      throw new Error(
        `"${entry.trim()}" is not a positive duration (use a number with ms, s, m, h or d, e.g. 30s)`,
      );
    }
    return ms;
  });
  return delays;
}

export const DEFAULT_RETRY_SCHEDULE: RetrySchedule = parseRetrySchedule(DEFAULT_RETRY_SCHEDULE_TEXT);

/**
 * The delay before retry number `retry` (1-based), jittered by ±RETRY_JITTER; null when the schedule is
 * exhausted. `random` is injectable so tests can pin the jitter.
 */
export function retryDelay(
  schedule: RetrySchedule,
  retry: number,
  random: () => number = Math.random,
): number | null {
  const base = schedule[retry - 1];
  if (base === undefined) return null;
  const factor = 1 - RETRY_JITTER + 2 * RETRY_JITTER * random();
  return Math.round(base * factor);
}

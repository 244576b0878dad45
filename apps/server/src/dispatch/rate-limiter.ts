/**
 * The window `rate_limit_per_second` counts in: one second, plus a margin for the few milliseconds
 * between the claim (where a start is counted) and the request leaving, which vary from one claim to
 * the next; without it a receiver could see N + 1 requests inside one second.
 */
export const RATE_WINDOW_MS = 1_100;

/** `count` attempts started together at `atMs` (one claim round's starts to one endpoint). */
export interface RecordedStarts {
  atMs: number;
  count: number;
}

/**
 * A sliding window: at most `limit` starts in ANY RATE_WINDOW_MS, so a receiver never sees more than
 * `limit` requests within one second, which is what "N per second" promises. (A token bucket would
 * let through its burst plus a second's refill.) Built from the starts every worker recorded in
 * `endpoint_rate_starts`, read under the endpoint's lock, so the limit holds across workers.
 */
export class SlidingWindowLimit {
  /** Oldest first. */
  private readonly starts: RecordedStarts[];
  private total = 0;

  constructor(
    readonly limit: number,
    recorded: readonly RecordedStarts[] = [],
  ) {
    this.starts = recorded.map((s) => ({ ...s })).sort((a, b) => a.atMs - b.atMs);
    for (const s of this.starts) this.total += s.count;
  }

  private prune(nowMs: number): void {
    while (this.starts.length > 0 && this.starts[0]!.atMs <= nowMs - RATE_WINDOW_MS) {
      this.total -= this.starts.shift()!.count;
    }
  }

  /** Takes up to `wanted` starts now; returns how many were granted. */
  take(wanted: number, nowMs: number): number {
    this.prune(nowMs);
    const granted = Math.max(0, Math.min(wanted, this.limit - this.total));
    if (granted === 0) return 0;
    const last = this.starts.at(-1);
    if (last?.atMs === nowMs) last.count += granted;
    else this.starts.push({ atMs: nowMs, count: granted });
    this.total += granted;
    return granted;
  }

  /** Milliseconds until another start is allowed (0 when one is now). */
  msUntilAllowed(nowMs: number): number {
    this.prune(nowMs);
    // Fewer than `limit` remain once the oldest starts up to and including this one have left.
    let remaining = this.total;
    for (const s of this.starts) {
      if (remaining < this.limit) break;
      remaining -= s.count;
      if (remaining < this.limit) return s.atMs + RATE_WINDOW_MS - nowMs;
    }
    return 0;
  }
}

/** The endpoint's window, or null when it has no limit (`rate_limit_per_second` null or 0). */
export function rateWindow(
  ratePerSecond: number | null,
  recorded: readonly RecordedStarts[] | undefined,
): SlidingWindowLimit | null {
  if (!ratePerSecond || ratePerSecond <= 0) return null;
  return new SlidingWindowLimit(ratePerSecond, recorded);
}

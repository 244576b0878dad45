/**
 * The window `rate_limit_per_second` counts in: one second, plus a margin for the few milliseconds
 * between the claim (where a start is counted) and the request leaving, which vary from one claim to
 * the next; without it a receiver could see N + 1 requests inside one second.
 */
export const RATE_WINDOW_MS = 1_100;

/**
 * A sliding window: at most `limit` starts in ANY RATE_WINDOW_MS, so a receiver never sees more than
 * `limit` requests within one second, which is what "N per second" promises. (A token bucket would
 * let through its burst plus a second's refill.)
 */
export class SlidingWindowLimit {
  private readonly starts: number[] = [];

  constructor(readonly limit: number) {}

  private prune(nowMs: number): void {
    while (this.starts.length > 0 && this.starts[0]! <= nowMs - RATE_WINDOW_MS) this.starts.shift();
  }

  /** Takes up to `wanted` starts now; returns how many were granted. */
  take(wanted: number, nowMs: number): number {
    this.prune(nowMs);
    const granted = Math.max(0, Math.min(wanted, this.limit - this.starts.length));
    for (let i = 0; i < granted; i++) this.starts.push(nowMs);
    return granted;
  }

  /** Milliseconds until another start is allowed (0 when one is now). */
  msUntilAllowed(nowMs: number): number {
    this.prune(nowMs);
    if (this.starts.length < this.limit) return 0;
    return this.starts[this.starts.length - this.limit]! + RATE_WINDOW_MS - nowMs;
  }
}

/** Per-endpoint `rate_limit_per_second`, in this process's memory (see docs/delivery.md, Limits). */
export class EndpointRateLimiter {
  private readonly windows = new Map<string, SlidingWindowLimit>();

  /** How many of `wanted` attempts to this endpoint may start now; all of them when it has no limit. */
  take(endpointId: string, ratePerSecond: number | null, wanted: number, nowMs: number): number {
    if (!ratePerSecond || ratePerSecond <= 0) {
      this.windows.delete(endpointId);
      return wanted;
    }
    let window = this.windows.get(endpointId);
    if (!window || window.limit !== ratePerSecond) {
      window = new SlidingWindowLimit(ratePerSecond);
      this.windows.set(endpointId, window);
    }
    return window.take(wanted, nowMs);
  }

  /** Milliseconds until the endpoint may start another attempt; 0 when it may now or has no limit. */
  msUntilAllowed(endpointId: string, nowMs: number): number {
    return this.windows.get(endpointId)?.msUntilAllowed(nowMs) ?? 0;
  }
}

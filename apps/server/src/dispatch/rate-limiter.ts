/**
 * A token bucket: `ratePerSecond` tokens a second, holding at most one second's worth, so an endpoint
 * limited to N/s never gets more than N requests in any one-second window from this process.
 */
export class TokenBucket {
  private tokens: number;
  private updatedAt: number;

  constructor(
    readonly ratePerSecond: number,
    nowMs: number,
  ) {
    this.tokens = ratePerSecond;
    this.updatedAt = nowMs;
  }

  private refill(nowMs: number): void {
    const elapsed = Math.max(0, nowMs - this.updatedAt);
    this.tokens = Math.min(this.ratePerSecond, this.tokens + (elapsed * this.ratePerSecond) / 1000);
    this.updatedAt = nowMs;
  }

  /** Takes up to `wanted` whole tokens; returns how many were granted. */
  take(wanted: number, nowMs: number): number {
    this.refill(nowMs);
    const granted = Math.max(0, Math.min(wanted, Math.floor(this.tokens)));
    this.tokens -= granted;
    return granted;
  }

  /** Milliseconds until at least one token is available (0 when one is). */
  msUntilToken(nowMs: number): number {
    this.refill(nowMs);
    if (this.tokens >= 1) return 0;
    return Math.ceil(((1 - this.tokens) * 1000) / this.ratePerSecond);
  }
}

/** Per-endpoint `rate_limit_per_second`, in this process's memory (see docs/delivery.md, Limits). */
export class EndpointRateLimiter {
  private readonly buckets = new Map<string, TokenBucket>();

  /** How many of `wanted` attempts to this endpoint may start now; all of them when it has no limit. */
  take(endpointId: string, ratePerSecond: number | null, wanted: number, nowMs: number): number {
    if (!ratePerSecond || ratePerSecond <= 0) {
      this.buckets.delete(endpointId);
      return wanted;
    }
    let bucket = this.buckets.get(endpointId);
    if (!bucket || bucket.ratePerSecond !== ratePerSecond) {
      bucket = new TokenBucket(ratePerSecond, nowMs);
      this.buckets.set(endpointId, bucket);
    }
    return bucket.take(wanted, nowMs);
  }

  /** Milliseconds until the endpoint may start another attempt; 0 when it may now or has no limit. */
  msUntilAllowed(endpointId: string, nowMs: number): number {
    return this.buckets.get(endpointId)?.msUntilToken(nowMs) ?? 0;
  }
}

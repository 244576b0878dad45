import { Inject, Injectable } from '@nestjs/common';
import type { AppConfig } from '../config/config';
import { APP_CONFIG } from '../config/config.module';

/**
 * A token bucket: holds up to `burst` tokens, refilled at `ratePerSecond`; each request takes one.
 * Unlike the dispatcher's sliding window (which promises receivers a hard per-second cap), an API
 * client may burst after a quiet spell and still averages at most the rate.
 */
export class TokenBucket {
  private tokens: number;
  private updatedMs: number;

  constructor(
    readonly ratePerSecond: number,
    readonly burst: number,
    nowMs: number,
  ) {
    this.tokens = burst;
    this.updatedMs = nowMs;
  }

  private refill(nowMs: number): void {
    const elapsed = Math.max(0, nowMs - this.updatedMs);
    this.tokens = Math.min(this.burst, this.tokens + (elapsed * this.ratePerSecond) / 1000);
    this.updatedMs = Math.max(this.updatedMs, nowMs);
  }

  /** Takes a token: 0 when granted, else the whole seconds to wait before one is there (≥ 1). */
  take(nowMs: number): number {
    this.refill(nowMs);
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil((1 - this.tokens) / this.ratePerSecond));
  }

  /** Whether the bucket is full again (an idle client: its bucket can be forgotten). */
  isFull(nowMs: number): boolean {
    this.refill(nowMs);
    return this.tokens >= this.burst;
  }
}

/** Past this many buckets, full (idle) ones are dropped; a dropped bucket comes back full anyway. */
const PRUNE_ABOVE = 10_000;

/**
 * WEBHOOKS_API_RATE_LIMIT: requests per second per API key, burst twice that, in this process's
 * memory (each API process counts on its own). 0 turns it off.
 */
@Injectable()
export class ApiRateLimiter {
  private readonly buckets = new Map<string, TokenBucket>();
  private readonly rate: number;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.rate = config.apiRateLimit;
  }

  /** 0 when `keyId` may make a request now, else the seconds to wait (for Retry-After). */
  take(keyId: string, nowMs: number): number {
    if (this.rate <= 0) return 0;
    let bucket = this.buckets.get(keyId);
    if (!bucket) {
      if (this.buckets.size >= PRUNE_ABOVE) this.prune(nowMs);
      bucket = new TokenBucket(this.rate, this.rate * 2, nowMs);
      this.buckets.set(keyId, bucket);
    }
    return bucket.take(nowMs);
  }

  private prune(nowMs: number): void {
    for (const [keyId, bucket] of this.buckets) if (bucket.isFull(nowMs)) this.buckets.delete(keyId);
  }
}

import { describe, expect, it } from 'vitest';
import type { AppConfig } from '../config/config';
import { ApiRateLimiter, TokenBucket } from './api-rate-limit';

describe('TokenBucket', () => {
  it('grants a full burst at once, then refills at the rate', () => {
    const bucket = new TokenBucket(10, 20, 0);
    for (let i = 0; i < 20; i++) expect(bucket.take(0)).toBe(0);
    expect(bucket.take(0)).toBe(1);
    expect(bucket.take(50)).toBe(1); // half a token after 50 ms
    expect(bucket.take(100)).toBe(0); // one token after 100 ms
    expect(bucket.take(100)).toBe(1);
  });

  it('never holds more than its burst, and tells slow rates to wait whole seconds', () => {
    const bucket = new TokenBucket(1, 2, 0);
    expect(bucket.isFull(60_000)).toBe(true);
    expect([bucket.take(60_000), bucket.take(60_000), bucket.take(60_000)]).toEqual([0, 0, 1]);
    const slow = new TokenBucket(0.25, 1, 0);
    expect([slow.take(0), slow.take(0)]).toEqual([0, 4]);
  });

  it('ignores a clock that goes backwards', () => {
    const bucket = new TokenBucket(1, 1, 1_000);
    expect(bucket.take(1_000)).toBe(0);
    expect(bucket.take(0)).toBe(1);
    expect(bucket.take(2_000)).toBe(0);
  });
});

describe('ApiRateLimiter', () => {
  const limiter = (apiRateLimit: number) => new ApiRateLimiter({ apiRateLimit } as AppConfig);

  it('keeps one bucket per key, with a burst of twice the rate', () => {
    const limits = limiter(2);
    expect([1, 2, 3, 4, 5].map(() => limits.take('key_a', 0))).toEqual([0, 0, 0, 0, 1]);
    expect(limits.take('key_b', 0)).toBe(0);
    expect(limits.take('key_a', 500)).toBe(0);
  });

  it('0 turns it off', () => {
    const limits = limiter(0);
    for (let i = 0; i < 1_000; i++) expect(limits.take('key_a', 0)).toBe(0);
  });
});

import { describe, expect, it } from 'vitest';
import { EndpointRateLimiter, TokenBucket } from './rate-limiter';

describe('TokenBucket', () => {
  it('grants a full second of tokens at once, then refills at the rate', () => {
    const bucket = new TokenBucket(5, 0);
    expect(bucket.take(10, 0)).toBe(5);
    expect(bucket.take(1, 0)).toBe(0);
    expect(bucket.msUntilToken(0)).toBe(200);
    expect(bucket.take(1, 199)).toBe(0);
    expect(bucket.take(1, 200)).toBe(1);
    expect(bucket.take(10, 1_200)).toBe(5);
  });

  it('never holds more than one second of tokens', () => {
    const bucket = new TokenBucket(2, 0);
    expect(bucket.take(100, 60_000)).toBe(2);
  });

  it('never grants more than rate × window + burst over a long run', () => {
    const bucket = new TokenBucket(3, 0);
    let granted = 0;
    for (let t = 0; t <= 10_000; t += 7) granted += bucket.take(1, t);
    expect(granted).toBeLessThanOrEqual(3 + 30);
    expect(granted).toBeGreaterThanOrEqual(30);
  });
});

describe('EndpointRateLimiter', () => {
  it('lets unlimited endpoints through', () => {
    const limiter = new EndpointRateLimiter();
    expect(limiter.take('wh_a', null, 50, 0)).toBe(50);
    expect(limiter.take('wh_a', 0, 50, 0)).toBe(50);
    expect(limiter.msUntilAllowed('wh_a', 0)).toBe(0);
  });

  it('keeps one bucket per endpoint', () => {
    const limiter = new EndpointRateLimiter();
    expect(limiter.take('wh_a', 2, 5, 0)).toBe(2);
    expect(limiter.take('wh_b', 2, 5, 0)).toBe(2);
    expect(limiter.take('wh_a', 2, 5, 0)).toBe(0);
    expect(limiter.msUntilAllowed('wh_a', 0)).toBe(500);
  });

  it('starts over when the limit changes', () => {
    const limiter = new EndpointRateLimiter();
    expect(limiter.take('wh_a', 1, 5, 0)).toBe(1);
    expect(limiter.take('wh_a', 4, 5, 0)).toBe(4);
  });
});

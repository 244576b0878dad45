import { describe, expect, it } from 'vitest';
import { EndpointRateLimiter, RATE_WINDOW_MS, SlidingWindowLimit } from './rate-limiter';

const W = RATE_WINDOW_MS;

describe('SlidingWindowLimit', () => {
  it('grants up to the limit, then waits until the oldest start leaves the window', () => {
    const limit = new SlidingWindowLimit(5);
    expect(limit.take(10, 0)).toBe(5);
    expect(limit.take(1, W - 1)).toBe(0);
    expect(limit.msUntilAllowed(0)).toBe(W);
    expect(limit.msUntilAllowed(400)).toBe(W - 400);
    expect(limit.take(10, W)).toBe(5);
  });

  it('never allows more than the limit in any one-second window', () => {
    const limit = new SlidingWindowLimit(3);
    const starts: number[] = [];
    for (let t = 0; t <= 10_000; t += 7) {
      const granted = limit.take(2, t);
      for (let i = 0; i < granted; i++) starts.push(t);
    }
    for (const start of starts) {
      expect(starts.filter((t) => t >= start && t < start + 1_000).length).toBeLessThanOrEqual(3);
    }
    expect(starts.length).toBeGreaterThanOrEqual(27);
  });

  it('spreads starts: the wait names the start that frees the next slot', () => {
    const limit = new SlidingWindowLimit(2);
    expect(limit.take(1, 0)).toBe(1);
    expect(limit.take(1, 300)).toBe(1);
    expect(limit.msUntilAllowed(500)).toBe(W - 500);
    expect(limit.take(1, W)).toBe(1);
    expect(limit.msUntilAllowed(W)).toBe(300);
  });
});

describe('EndpointRateLimiter', () => {
  it('lets unlimited endpoints through', () => {
    const limiter = new EndpointRateLimiter();
    expect(limiter.take('wh_a', null, 50, 0)).toBe(50);
    expect(limiter.take('wh_a', 0, 50, 0)).toBe(50);
    expect(limiter.msUntilAllowed('wh_a', 0)).toBe(0);
  });

  it('keeps one window per endpoint', () => {
    const limiter = new EndpointRateLimiter();
    expect(limiter.take('wh_a', 2, 5, 0)).toBe(2);
    expect(limiter.take('wh_b', 2, 5, 0)).toBe(2);
    expect(limiter.take('wh_a', 2, 5, 0)).toBe(0);
    expect(limiter.msUntilAllowed('wh_a', 0)).toBe(W);
  });

  it('starts over when the limit changes', () => {
    const limiter = new EndpointRateLimiter();
    expect(limiter.take('wh_a', 1, 5, 0)).toBe(1);
    expect(limiter.take('wh_a', 4, 5, 0)).toBe(4);
  });
});

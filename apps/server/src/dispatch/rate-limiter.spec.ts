import { describe, expect, it } from 'vitest';
import { RATE_WINDOW_MS, rateWindow, SlidingWindowLimit } from './rate-limiter';

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

describe('SlidingWindowLimit built from recorded starts (several workers)', () => {
  it('counts every recorded start, grouped starts by their count', () => {
    // Another worker started 3 at 0 and 1 at 500: a limit of 5 leaves one start.
    const limit = new SlidingWindowLimit(5, [
      { atMs: 500, count: 1 },
      { atMs: 0, count: 3 },
    ]);
    expect(limit.take(4, 600)).toBe(1);
    // Full until the group of 3 leaves the window, not just its first start.
    expect(limit.msUntilAllowed(600)).toBe(W - 600);
    expect(limit.take(4, W)).toBe(3);
    expect(limit.msUntilAllowed(W)).toBe(500);
  });

  it('ignores starts older than the window', () => {
    const limit = new SlidingWindowLimit(2, [{ atMs: 0, count: 2 }]);
    expect(limit.msUntilAllowed(W)).toBe(0);
    expect(limit.take(5, W)).toBe(2);
  });
});

describe('rateWindow', () => {
  it('is null for an endpoint without a limit', () => {
    expect(rateWindow(null, [{ atMs: 0, count: 9 }])).toBeNull();
    expect(rateWindow(0, undefined)).toBeNull();
  });

  it("is the endpoint's limit over what was recorded", () => {
    const window = rateWindow(3, [{ atMs: 0, count: 2 }])!;
    expect(window.take(5, 10)).toBe(1);
    expect(window.take(5, 10)).toBe(0);
  });
});

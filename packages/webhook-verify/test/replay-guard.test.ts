import { describe, expect, it } from 'vitest';
import { createMemoryReplayGuard } from '../src/index.js';

describe('createMemoryReplayGuard', () => {
  it('remembers a key until its ttl ends', () => {
    let now = 0;
    const guard = createMemoryReplayGuard({ now: () => now });
    expect(guard.checkAndRemember('a', 1000)).toBe(true);
    expect(guard.checkAndRemember('a', 1000)).toBe(false);
    now = 999;
    expect(guard.checkAndRemember('a', 1000)).toBe(false);
    now = 1000;
    expect(guard.checkAndRemember('a', 1000)).toBe(true);
  });

  it('never holds more than max entries, forgetting the oldest first', () => {
    const guard = createMemoryReplayGuard({ max: 3, now: () => 0 });
    for (const key of ['a', 'b', 'c', 'd', 'e']) expect(guard.checkAndRemember(key, 60_000)).toBe(true);
    expect(guard.size).toBe(3);
    expect(guard.checkAndRemember('e', 60_000)).toBe(false);
    expect(guard.checkAndRemember('a', 60_000)).toBe(true);
    expect(guard.size).toBe(3);
  });

  it('drops expired entries as new ones arrive', () => {
    let now = 0;
    const guard = createMemoryReplayGuard({ now: () => now });
    for (let i = 0; i < 100; i++) guard.checkAndRemember(`k${i}`, 1000);
    now = 5000;
    guard.checkAndRemember('fresh', 1000);
    expect(guard.size).toBe(1);
  });

  it('stays bounded under a flood of distinct requests', () => {
    const guard = createMemoryReplayGuard({ max: 1000 });
    for (let i = 0; i < 50_000; i++) guard.checkAndRemember(`k${i}`, 300_000);
    expect(guard.size).toBe(1000);
  });

  it('rejects a nonsensical max', () => {
    expect(() => createMemoryReplayGuard({ max: 0 })).toThrow(TypeError);
  });
});

import { describe, expect, it } from 'vitest';
import { DEFAULT_RETRY_SCHEDULE, parseRetrySchedule, retryDelay } from './retry-schedule';

describe('parseRetrySchedule', () => {
  it('parses the documented default', () => {
    expect(DEFAULT_RETRY_SCHEDULE).toEqual([
      5_000, 60_000, 300_000, 1_800_000, 7_200_000, 21_600_000, 43_200_000, 86_400_000, 86_400_000,
    ]);
  });

  it('accepts none as no retries, in any case', () => {
    expect(parseRetrySchedule('none')).toEqual([]);
    expect(parseRetrySchedule(' NONE ')).toEqual([]);
  });

  it('accepts spaces around entries', () => {
    expect(parseRetrySchedule('100ms, 1s ,2s')).toEqual([100, 1_000, 2_000]);
  });

  it.each(['', '5s,,1m', '5s,soon', '0s', '5s,-1m'])('rejects %j naming the bad entry', (text) => {
    expect(() => parseRetrySchedule(text)).toThrow(/is not a positive duration/);
  });
});

describe('retryDelay', () => {
  const schedule = [1_000, 10_000];

  it('stays within ±20 % of the scheduled delay', () => {
    expect(retryDelay(schedule, 1, () => 0)).toBe(800);
    expect(retryDelay(schedule, 1, () => 0.5)).toBe(1_000);
    expect(retryDelay(schedule, 1, () => 0.999999)).toBe(1_200);
    expect(retryDelay(schedule, 2, () => 0)).toBe(8_000);
  });

  it('is null once the schedule is exhausted', () => {
    expect(retryDelay(schedule, 3)).toBeNull();
    expect(retryDelay([], 1)).toBeNull();
  });

  it('spreads real jitter across the whole band', () => {
    const delays = Array.from({ length: 2_000 }, () => retryDelay(schedule, 1) as number);
    expect(Math.min(...delays)).toBeGreaterThanOrEqual(800);
    expect(Math.max(...delays)).toBeLessThanOrEqual(1_200);
    expect(Math.max(...delays) - Math.min(...delays)).toBeGreaterThan(300);
  });
});
